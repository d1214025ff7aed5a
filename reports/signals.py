"""Receivers that connect the reports side to events elsewhere."""

from collections.abc import Sequence
from functools import partial
from typing import Any

from django.apps import AppConfig
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models.signals import m2m_changed, post_migrate, post_save
from django.dispatch import receiver

from feeds.signals import IngestedArticle, articles_stored
from reports.matching import articles_match, topic_rematch
from reports.models import Topic
from reports.roles import sync_role_groups


@receiver(post_migrate)
def keep_role_groups_in_step(sender: AppConfig, **kwargs: Any) -> None:
    # Runs after every app's migrations; acting once, for our own app, is
    # enough, since permissions of all apps exist by then.
    if sender.name == "reports":
        sync_role_groups(Group, Permission)


# In the storing transaction: an article and its topic matches are written
# together, or neither is.
@receiver(articles_stored)
def match_new_articles(
    sender: Any,
    article_ids: list[int],
    articles: Sequence[IngestedArticle] | None = None,
    **kwargs: Any,
) -> None:
    articles_match(article_ids=article_ids, texts=articles)


@receiver(post_save, sender=Topic)
def rematch_saved_topic(sender: Any, instance: Topic, **kwargs: Any) -> None:
    # Names and keywords may have changed; matches are recomputed once the
    # save commits.
    transaction.on_commit(partial(topic_rematch, topic=instance))


@receiver(m2m_changed, sender=Topic.feeds.through)
def rematch_when_feeds_change(
    sender: Any, instance: Any, action: str, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if action != "post_clear" and not pk_set:
        # add() of rows already there, or remove() of rows never there.
        return
    if isinstance(instance, Topic):
        topics = [instance]
    else:
        # Changed from the feed's side: pk_set holds topic ids.
        topics = list(Topic.objects.filter(pk__in=pk_set or ()))
    for topic in topics:
        transaction.on_commit(partial(topic_rematch, topic=topic))
