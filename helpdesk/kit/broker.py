"""kombu's filesystem transport with atomic writes, for the embedded default (no Redis).

kombu 5's filesystem channel writes a message in place while the consumer, which takes no
lock, may already move and read the half-written file; the worker then dies on a
JSONDecodeError. Writing to a hidden staging name and renaming it into the queue folder
makes a message appear whole or not at all (rename is atomic on one filesystem).
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # The consumer only takes names ending in "<queue>.msg"; a leading dot keeps it off this one.
        staging = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            with open(staging, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(staging, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel

    def __init__(self, client, **kwargs):
        # The folders are made by the transport that uses them, not by reading settings.
        options = client.transport_options
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            if options.get(key):
                os.makedirs(options[key], exist_ok=True)
        super().__init__(client, **kwargs)
