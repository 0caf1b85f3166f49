"""Dutch notification mails: who gets them (:mod:`~okot.mail.render`), what they say
(:mod:`~okot.mail.render`, :mod:`~okot.mail.filters`, ``templates/``), how they go out
(:mod:`~okot.mail.smtp`) and the delivery the ``notify`` activity calls
(:mod:`~okot.mail.delivery`); failures in :mod:`~okot.mail.errors`.
"""
