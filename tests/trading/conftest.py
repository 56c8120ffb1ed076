"""Trading tests run on the session's app, whose background job is off
(``tender_poll_seconds=0``, see ``tests/conftest.py``) so that nothing closes a tender behind a
test's back; the tests of the job itself build their own app with it on."""
