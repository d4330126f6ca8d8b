"""The account onboarding knowledge base that ships as demo content, loaded once.

Seed: "Account onboarding Knowledge Base": one article per article the seed lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from onward import Domain, db
from onward.plugins.onboarding.knowledge import OnboardingArticle
from onward.plugins.onboarding.knowledge_services import create_article


@dataclass(frozen=True)
class DemoArticle:
    """An article of the shipped knowledge base."""

    title: str
    body: str
    customer_readable: bool = False
    task_type: str | None = None
    subject_pattern: str = ""


DATA_IMPORT_TASK = DemoArticle(
    "How to complete the Data Import Task",
    """The Data capture & validation stage of the onboarding playbook opens one data import
task per table: customer contacts, locations, service entitlements, install base items,
account address relationships, contracts, sold products and install base sold products.
Each task is assigned by its responsibility (by default the provider's developer/admin);
the agent sets its contact, the customer contact who provides the data.

1. Open the task and download the template attached to it. Its column labels match the
fields of the target table.
2. Fill in one row per record with the customer. Keep the header row; dates are
YYYY-MM-DD; a choice takes one of the field's values.
3. Upload one or more filled-in XLSX files and import them into the staging table. Add more
imports more files while validation runs.
4. Validate. Each row becomes Ready to publish, Needs attention (with a comment per
problem) or Yet to validate.
5. Fix the rows that need attention (a fixed row returns to Yet to validate) and validate
again. Restart clears the task's staging rows if you need to begin again.
6. Publish the selected rows, or all ready rows, to the target table.
7. Close the task with close notes and a short summary. Closing it completes its activity
in the playbook.

If something goes wrong, use the Troubleshoot Data Import Failure decision tree in the
task's recommended actions.""",
    customer_readable=True, task_type="data_capture", subject_pattern="import *")

SERVICE_BRIDGE_GUIDE = DemoArticle(
    "A Consumer's Guide to Installing Service Bridge and Registering with Providers",
    """Service Exchange connects the consumer's instance (the customer's) with the
provider's. The onboarding playbook adds the installation and registration tasks when the
case's Service Exchange integration is remote catalog, remote task or foundation data sync.

1. On the consumer instance, install the Service Bridge (Service Exchange for Consumer)
application, version 1.0.4 or later.
2. Create the integration user the provider will connect as, with the Service Exchange
roles.
3. Open the provider registration, enter the provider instance URL (https, without a
path) and the registration key the provider sent you.
4. Register. The provider confirms the consumer registration and configuration task once
both instances see each other.

If the registration fails, follow the Troubleshoot Service Exchange Failed Setup decision
tree on the task.""",
    customer_readable=True, task_type="development", subject_pattern="*consumer*")

#: every article of the seed's knowledge base, in the seed's order
SHIPPED = (
    DemoArticle(
        "How to create a Data Validation Assist record",
        """A Data Validation Assist record automates the validation of a data import: it
holds the rules each staging field must pass before a row is ready to publish.

- Reference: the value must exist in a field of a reference table.
- Choice: the value must be one of the target field's choices.
- Date and date-time, with their format; boolean; maximum length; integer or decimal.

Each rule may make the field mandatory. Record-level rules, such as "the row's company
must be the case's account", are functions that plugins register; they pass or fail with
a message, which becomes the row's comment.""",
        task_type="data_capture", subject_pattern="import *"),
    DemoArticle(
        "How to configure the trigger of the onboarding case & the playbook",
        """A new account opens its account onboarding case by itself, and the account
onboarding playbook starts on the case. Set ONWARD_ONBOARDING_AUTO_CASE=false to turn the
automatic case off; agents then open cases by hand (New case), for instance for a phased
onboarding of an existing account.

The playbook is the data file account_onboarding.yaml of the onboarding plugin. Admins load
a changed version under Playbooks; cases started afterwards use it, running cases keep the
version they started with."""),
    DemoArticle(
        "How to create remote choice definition in Service Exchange for Providers",
        """A remote choice definition lets a consumer read choice values from its own
instance in real time, for example its assignment groups, instead of a fixed list.

1. In Service Exchange for Providers, open the remote catalog item and add a variable.
2. Set its type to remote choice and name the consumer table and the field that gives the
values.
3. Publish the catalog item. Consumers see the current values of their instance when they
order it."""),
    DemoArticle(
        "How to create remote records producer in a remote catalog in Service Exchange "
        "for Providers",
        """Remote record producers create records on the provider's instance from a
consumer's request, as part of a remote catalog.

1. Open the remote catalog and add a record producer.
2. Choose the target table and map each variable to a field.
3. Share the catalog with the consumers who may use it and publish it. The consumer then
synchronises its catalog to see the new item."""),
    DemoArticle(
        "How to create a remote task to sync data",
        """A remote task keeps a record in step between two instances: the provider's task
and the consumer's copy exchange their updates.

1. Define the remote task: the table on each side and the fields to exchange.
2. Choose the direction of each field: provider to consumer, consumer to provider or both.
3. Activate the definition. New tasks of the table are sent to the consumer, and updates
flow both ways."""),
    DemoArticle(
        "How to create an Activity Definition",
        """Activities of the account onboarding playbook run activity definitions. A plugin
registers its definitions through register_activity_definitions(): a key, a label, the
inputs its form asks for, and what happens when the activity starts and completes.

1. Write the definition in your plugin and register it.
2. Add an activity that uses the key to the playbook data file, in the stage where it
belongs, with its start (after previous or with previous), condition and dependencies.
3. Load the new playbook version; new cases run the activity."""),
    DemoArticle(
        "How to attach KB to the related Knowledge tab of any ALE Task",
        """An article can attach itself to new onboarding tasks. On the article, set:

- Attach to new tasks of type: data capture, risk mitigation, development, training or
testing.
- Whose subject matches: a pattern with * wildcards, for example Import *.

Every new task that fits both (an empty one fits any) gets the article in its Related
knowledge. Agents attach or detach articles by hand on the task page, or through the API:
POST /api/v1/onboarding/tasks/<id>/articles."""),
    DATA_IMPORT_TASK,
    DemoArticle(
        "Account Lifecycle Events PAD Activities Overview",
        """The account onboarding playbook is built from nine kinds of activity:

- Select account, and enter onboarding info (assigned to, integration, type, go-live).
- Add customer team, and add customer team responsibilities.
- Add account team, and add squad.
- Create engagement.
- Task activities, which open a case task and complete when it is closed.
- The go-live support case.

Activities run after the previous one or with it; conditions (such as a Service Exchange
integration) and dependencies decide which run."""),
    SERVICE_BRIDGE_GUIDE,
    DemoArticle(
        "How to configure Account Lifecycle Events data import task",
        """Data import tasks come from the import activities of the Data capture & validation
stage. For each target table configure:

- The import template: an XLSX file whose column labels match the target's fields.
- The staging table and the field map from columns to fields.
- Optional Data Validation Assist rules.
- The playbook activity: its responsibility (who is assigned), its due date and whether
the task is visible to the customer.

Agents then set the contact of each new task: the customer contact who provides the
data.""",
        task_type="data_capture", subject_pattern="import *"),
)


def load_articles() -> int:
    """Add the shipped articles to the top domain's knowledge base, once; returns how many.

    Runs as the system (``onward demo``); an article already there by title is left alone.
    """
    top = db.session.scalar(select(Domain).where(Domain.parent_id.is_(None))
                            .order_by(Domain.id))
    there = set(db.session.scalars(select(OnboardingArticle.title).where(
        OnboardingArticle.domain_id == top.id)))
    added = 0
    for article in SHIPPED:
        if article.title not in there:
            create_article({"domain_id": top.id, "title": article.title,
                            "body": article.body,
                            "customer_readable": article.customer_readable,
                            "task_type": article.task_type,
                            "subject_pattern": article.subject_pattern})
            added += 1
    return added
