"""Dutch notification mails: rendering from templates, and delivery over SMTP.
"""
