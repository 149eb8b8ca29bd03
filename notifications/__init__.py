"""Notifications stage: ticket events become signed webhook calls and e-mails, via an outbox."""
