"""Default settings.

create_app() reads these, then ``instance/config.py``, then every ``WIR_*``
environment variable (``WIR_SMTP_PORT=587`` sets ``SMTP_PORT``; values are
parsed as JSON where they can be, so ``true`` and numbers work).
"""

from datetime import timedelta

# None means: the instance folder's SQLite database (sqlite:///instance/wir.db).
DATABASE_URL = None
BASE_URL = "http://127.0.0.1:5000"
# Stored files (attachments, documents): "folder" under STORAGE_PATH (None: instance/uploads/), or "database"
# (table stored_file), which every app server on the same database reaches. Several app servers need
# "database" or a STORAGE_PATH on a mount they all share.
STORAGE = "folder"
STORAGE_PATH = None
# Trusted proxies in front of the app (the TLS proxy = 1): client address, scheme and host are
# then taken from their X-Forwarded-For/-Proto/-Host headers. 0: the headers are ignored.
PROXY_HOPS = 0

# Development mode: cookies without the Secure flag (plain http on localhost)
# and mails written to instance/mail/ are listed on a page for the developer
# (answered only to requests from the loopback address).
DEVELOPMENT = False

SMTP_HOST = None
SMTP_PORT = 25
SMTP_USER = None
SMTP_PASSWORD = None
SMTP_STARTTLS = False
MAIL_FROM = "WIR-immerda-Serviceportal <wir-immerda@wg-lipsia.de>"

# memory:// suits one process; several workers share redis://host:6379.
RATELIMIT_STORAGE_URL = "memory://"
# per client address unless named otherwise
RATELIMIT_LOGIN = "10 per minute"
RATELIMIT_REGISTER = "20 per hour"
RATELIMIT_REGISTER_PER_CODE = "5 per hour"  # per Registrierungsnummer, from any address
RATELIMIT_RESEND = "5 per hour"
RATELIMIT_CONFIRM_CODE = "20 per hour"
RATELIMIT_PASSWORD_RESET = "5 per hour"
RATELIMIT_NUMBER_REQUEST = "5 per hour"
RATELIMIT_PASSWORD_CHECK = "120 per minute"
RATELIMIT_EMAIL_CHANGE = "3 per hour; 10 per day"  # per account; each request sends two mails
RATELIMIT_ERP_API = "60 per minute"  # the ERP's /erp/v1, before the token is checked

# Background tasks (wir.tasks, huey): None keeps the queue in instance/huey.db (SQLite) for the consumers
# of this machine; redis://host:6379/0 shares it between app servers. Consumers: `flask --app wir worker`.
TASK_QUEUE_URL = None
# Run every task at once in the caller's thread instead of queueing it (the tests).
TASKS_IMMEDIATE = False
# After a request that queued mail, a task delivers it (wir.tasks); tests may deliver by hand.
MAIL_DELIVER_IN_BACKGROUND = True

# Exportläufe to the ERP (wir.services.erp_export) hold full IBANs and Steuer-IDs: their files, and the changes they
# held, are removed this many days after the ERP acknowledged the run.
EXPORT_RETENTION_DAYS = 30

# The portal's own contact (footer, Impressum): the guide's WIR-immerda team.
PORTAL_EMAIL = "wir-immerda@wg-lipsia.de"
PORTAL_PHONE = "0341 41519-0"

SESSION_COOKIE_NAME = "wir_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = True
REMEMBER_COOKIE_SECURE = True
REMEMBER_COOKIE_HTTPONLY = True
PERMANENT_SESSION_LIFETIME = timedelta(hours=8)  # absolute limit of a sign-in
SESSION_IDLE_MINUTES = 30  # signed out after this long without a request; warned 2 minutes before
# How often an open Meldungen list (the tenant's and the staff's queue) asks whether a status changed.
STATUS_POLL_SECONDS = 15

# Request bodies: 1 MB for every form; up to 5 files of 10 MB only on views marked
# security.accepts_uploads, and only for signed-in users.
MAX_CONTENT_LENGTH = 1024 * 1024
UPLOAD_MAX_CONTENT_LENGTH = 60 * 1024 * 1024
# Staff's Sammel-Upload of documents (PDFs or ZIP files), one request: its body, the files in it (each entry of a
# ZIP counted; each file at most 10 MB) and their size unpacked. Beyond a few hundred loose files a browser sends
# them better as one ZIP (a form takes at most 1.000 parts).
BULK_UPLOAD_MAX_CONTENT_LENGTH = 200 * 1024 * 1024
BULK_UPLOAD_MAX_FILES = 1000
BULK_UPLOAD_MAX_BYTES = 400 * 1024 * 1024
WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

# Argon2id parameters (argon2-cffi's RFC 9106 low-memory profile).
ARGON2_TIME_COST = 3
ARGON2_MEMORY_COST = 64 * 1024
ARGON2_PARALLELISM = 4

PAGE_SIZE = 20
