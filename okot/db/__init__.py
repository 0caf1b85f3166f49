"""The project's database: tables, migrations, the audit log and snapshots, the staff
directory, caseloads, management reports and retention.
"""
