"""Support mail coming in: parsing raw messages into plain values, and reading the mailbox over IMAP."""
