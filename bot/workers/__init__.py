"""Everything that sends on its own, not in answer to an update: the outbox (notices, refunds),
drops, the boards kept up to date in groups and channels, the live desk, creators' posts.

Workers word their messages with ``bot.conversation`` (texts, keyboards) and send them through
its ``Sender`` port; the conversation layer never imports a worker.
"""
