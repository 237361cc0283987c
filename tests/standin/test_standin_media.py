"""Videos and other files: upload once, reuse the file_id, URLs, edits, downloads."""

from __future__ import annotations

from pathlib import Path

import pytest
import telegram
from aiogram import Bot as AiogramBot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import FSInputFile, InputMediaPhoto, InputMediaVideo
from telegram.error import BadRequest

from bot.standin import BotApiStandIn

pytestmark = pytest.mark.asyncio

VIDEO_BYTES = b"\x00\x00\x00\x18ftypmp42" + b"teaser" * 50


@pytest.fixture
def teaser(tmp_path: Path) -> Path:
    path = tmp_path / "teaser.mp4"
    path.write_bytes(VIDEO_BYTES)
    return path


async def test_aiogram_video_upload_then_file_id_then_url(
    standin: BotApiStandIn, aiogram_bot: AiogramBot, teaser: Path
) -> None:
    chat = standin.private_chat(2001)
    first = await aiogram_bot.send_video(
        chat.id, FSInputFile(teaser), caption="Teaser", width=640, height=360, duration=12
    )
    assert first.video is not None
    assert first.video.file_size == len(VIDEO_BYTES)
    assert (first.video.width, first.video.height, first.video.duration) == (640, 360, 12)
    assert first.video.mime_type == "video/mp4"
    assert first.caption == "Teaser"
    assert standin.uploads == 1
    assert standin.calls_named("sendVideo")[0].params["video"] == {"upload": "teaser.mp4"}

    again = await aiogram_bot.send_video(chat.id, first.video.file_id, caption="Again")
    assert again.video is not None
    assert again.video.file_id == first.video.file_id
    assert again.video.file_unique_id == first.video.file_unique_id
    assert standin.uploads == 1

    by_url = await aiogram_bot.send_video(chat.id, "https://cdn.example/teaser.mp4")
    assert by_url.video is not None
    assert by_url.video.file_id not in (first.video.file_id,)
    assert standin.uploads == 1

    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await aiogram_bot.send_video(chat.id, "not-a-file-id")
    assert standin.violations == []


async def test_ptb_video_upload_reuse_and_download(
    standin: BotApiStandIn, ptb_bot: telegram.Bot, teaser: Path
) -> None:
    chat = standin.private_chat(2002)
    with teaser.open("rb") as handle:
        first = await ptb_bot.send_video(chat.id, handle, caption="<b>New</b>", parse_mode="HTML")
    assert first.video is not None
    assert first.caption == "New"
    assert first.caption_entities[0].type == "bold"
    assert standin.calls_named("sendVideo")[0].params["video"] == {"upload": "teaser.mp4"}
    again = await ptb_bot.send_video(chat.id, first.video.file_id)
    assert again.video is not None
    assert again.video.file_id == first.video.file_id
    assert standin.uploads == 1
    remote = await ptb_bot.get_file(first.video.file_id)
    assert bytes(await remote.download_as_bytearray()) == VIDEO_BYTES
    assert standin.violations == []


async def test_edit_media_by_upload_and_by_file_id_and_captions(
    standin: BotApiStandIn, aiogram_bot: AiogramBot, ptb_bot: telegram.Bot, teaser: Path
) -> None:
    chat = standin.private_chat(2003)
    sent = await aiogram_bot.send_photo(chat.id, "https://cdn.example/cover.jpg", caption="Cover")
    assert sent.photo is not None

    replaced = await aiogram_bot.edit_message_media(
        media=InputMediaVideo(media=FSInputFile(teaser), caption="Now a video"),
        chat_id=chat.id,
        message_id=sent.message_id,
    )
    assert not isinstance(replaced, bool)
    assert replaced.video is not None
    assert replaced.photo is None
    assert replaced.caption == "Now a video"
    assert standin.uploads == 1
    media_param = standin.calls_named("editMessageMedia")[0].params["media"]
    assert media_param == {
        "type": "video",
        "media": {"upload": "teaser.mp4"},
        "caption": "Now a video",
    }

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await aiogram_bot.edit_message_media(
            media=InputMediaVideo(media=replaced.video.file_id, caption="Now a video"),
            chat_id=chat.id,
            message_id=sent.message_id,
        )
    back = await ptb_bot.edit_message_media(
        media=telegram.InputMediaPhoto(sent.photo[-1].file_id, caption="Cover again"),
        chat_id=chat.id,
        message_id=sent.message_id,
    )
    assert not isinstance(back, bool)
    assert back.photo[-1].file_id == sent.photo[-1].file_id
    assert standin.uploads == 1

    with teaser.open("rb") as handle:
        ptb_upload = await ptb_bot.edit_message_media(
            media=telegram.InputMediaVideo(handle), chat_id=chat.id, message_id=sent.message_id
        )
    assert not isinstance(ptb_upload, bool)
    assert ptb_upload.video is not None
    assert standin.uploads == 2
    assert ptb_upload.caption is None

    captioned = await ptb_bot.edit_message_caption(
        chat_id=chat.id, message_id=sent.message_id, caption="Final"
    )
    assert not isinstance(captioned, bool)
    assert captioned.caption == "Final"
    with pytest.raises(TelegramBadRequest, match="there is no text in the message to edit"):
        await aiogram_bot.edit_message_text(text="x", chat_id=chat.id, message_id=sent.message_id)
    text = await aiogram_bot.send_message(chat.id, "plain")
    with pytest.raises(BadRequest, match="(?i)there is no caption in the message to edit"):
        await ptb_bot.edit_message_caption(
            chat_id=chat.id, message_id=text.message_id, caption="x"
        )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await aiogram_bot.edit_message_media(
            media=InputMediaPhoto(media=sent.photo[-1].file_id),
            chat_id=chat.id,
            message_id=777,
        )
    assert standin.violations == []


async def test_documents_and_animations_keep_their_kinds(
    standin: BotApiStandIn, aiogram_bot: AiogramBot, teaser: Path
) -> None:
    chat = standin.private_chat(2004)
    document = await aiogram_bot.send_document(chat.id, FSInputFile(teaser, filename="menu.pdf"))
    assert document.document is not None
    assert document.document.file_name == "menu.pdf"
    assert document.document.mime_type == "application/pdf"
    animation = await aiogram_bot.send_animation(chat.id, "https://cdn.example/a.gif")
    assert animation.animation is not None
    with pytest.raises(TelegramBadRequest, match="can't use file of type"):
        await aiogram_bot.send_photo(chat.id, animation.animation.file_id)
    assert standin.uploads == 1
    assert standin.violations == []
