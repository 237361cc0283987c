"""The sandbox's demo people: who they are, their chats with the bot, and who is typing.

Everyone is a real simulated Telegram user with a private chat; the sandbox shows the current
person's chat in full and only counts what arrives for the others until someone switches to
them (``:as ben``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.sandbox.feed import ChatFeed
from bot.sandbox.media import MediaFolder
from bot.standin import BotApiStandIn, SimChat


@dataclass(frozen=True, slots=True)
class Role:
    """One demo person as configured: a short name to type, their Telegram id, their part."""

    key: str
    first_name: str
    user_id: int
    part: str


ANA = Role("ana", "Ana", 1001, "buyer")
BEN = Role("ben", "Ben", 1002, "second buyer")
LEA = Role("lea", "Lea", 1003, "community leader: opens group buys, earns commission")
MAX = Role("max", "Max", 1004, "the merchant: /admin opens the console")
CAST: tuple[Role, ...] = (ANA, BEN, LEA, MAX)
#: Whose turn it is when the sandbox opens.
FIRST = ANA
#: Who is staff in the sandbox, whatever ADMIN_IDS says.
MERCHANT = MAX
#: Who leads group buys, and where their members pick up.
LEADER = LEA
LEADER_PICKUP = ("Lea's corner shop", "12 Elm Street")
#: The demo group chat everyone is in (a leader posts group buys there).
GROUP_ID = -100500
GROUP_TITLE = "Neighbours"


@dataclass(slots=True)
class Person:
    """A demo person in the running sandbox: their chat and what arrived in it unread."""

    role: Role
    chat: SimChat
    feed: ChatFeed
    #: How many unread items were last announced, so a notification is printed once.
    announced: int = 0

    @property
    def key(self) -> str:
        return self.role.key


@dataclass(slots=True)
class Group:
    """The demo group chat: everyone's in it, so its messages are shown to whoever types."""

    chat: SimChat
    feed: ChatFeed


@dataclass(slots=True)
class People:
    """Everyone in the sandbox, who is typing now, and the group they share."""

    people: dict[str, Person]
    current: Person
    group: Group
    _order: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, standin: BotApiStandIn, language: str, media: MediaFolder | None) -> People:
        people: dict[str, Person] = {}
        for role in CAST:
            chat = standin.private_chat(
                role.user_id, role.first_name, language_code=language, username=role.key
            )
            feed = ChatFeed(standin, chat.id, role.key, media)
            standin.add_listener(feed.listen)
            people[role.key] = Person(role, chat, feed)
        chat = standin.group_chat(
            GROUP_ID, GROUP_TITLE, default_user=people[FIRST.key].chat.default_user
        )
        group = Group(chat, ChatFeed(standin, chat.id, "group", media, place=GROUP_TITLE))
        standin.add_listener(group.feed.listen)
        return cls(people, people[FIRST.key], group, [role.key for role in CAST])

    def find(self, name: str) -> Person | None:
        """The person called ``name`` (key or first name, any case, with or without @)."""
        wanted = name.strip().lstrip("@").lower()
        for person in self.people.values():
            if wanted in (person.key, person.role.first_name.lower(), str(person.role.user_id)):
                return person
        return None

    def others(self) -> list[Person]:
        return [self.people[key] for key in self._order if self.people[key] is not self.current]

    def notifications(self) -> list[str]:
        """One line per other person with more unread than last said, e.g. "· 2 new messages
        for ben (:as ben)"."""
        lines = []
        for person in self.others():
            sent, changed = person.feed.waiting()
            total = sent + changed
            if total > person.announced:
                person.announced = total
                lines.append(
                    f"\u00b7 {_unread(sent, changed)} for {person.key} (:as {person.key})"
                )
        return lines

    def listing(self) -> list[str]:
        """``:who``: everyone, who is current, and unread counts."""
        lines = ["People in the sandbox (:as NAME switches):"]
        for key in self._order:
            person = self.people[key]
            mark = "\u25b6" if person is self.current else " "
            sent, changed = person.feed.waiting()
            unread = f" \u00b7 {_unread(sent, changed)}" if sent + changed else ""
            lines.append(
                f" {mark} {key:<4} {person.role.first_name} (id {person.role.user_id}), "
                f"{person.role.part}{unread}"
            )
        lines.append(f"   Everyone is in the group {GROUP_TITLE} (:group TEXT, :group [3]).")
        return lines

    def switch(self, person: Person) -> None:
        self.current = person
        person.announced = 0


def _unread(sent: int, changed: int) -> str:
    parts = []
    if sent:
        parts.append(f"{sent} new message{'s' if sent != 1 else ''}")
    if changed:
        parts.append(f"{changed} change{'s' if changed != 1 else ''}")
    return " and ".join(parts)
