"""The project's database: tables, migrations, the write API of the activities (events:
audit log, snapshots and stage history; store: the notification outbox; the embedded
registrations), the staff directory, caseloads, management reports and retention.
"""
