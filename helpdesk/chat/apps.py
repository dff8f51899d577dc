from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "helpdesk.chat"
    label = "chat"
    verbose_name = "Live chat"

    def ready(self) -> None:
        from helpdesk.chat import selectors
        from helpdesk.tickets import origins, queue_news

        origins.register(selectors.with_source_chat)
        queue_news.register(selectors.queue_news)
