"""Re-authentication before sensitive changes shares sign-in's counter (wir/services/account/accounts.py, confirm_password)."""

from datetime import timedelta

from wir import clock


def _change_email(client, auth, password):
    return client.post("/konto/email", data={"csrf_token": auth.csrf_token(), "email": "neu@example.net",
                                             "password": password})


def test_guessing_in_an_open_session_signs_it_out_with_the_lock(client, auth, monkeypatch):
    auth.login_as("juergen")
    start = clock.now()
    for attempt in range(4):  # the waits after the 3rd and 4th failure are over before the next guess
        monkeypatch.setattr(clock, "now", lambda a=attempt: start + timedelta(minutes=5 * a))
        answer = _change_email(client, auth, "falsch-falsch-falsch")
        assert answer.status_code == 422
    assert client.get("/konto/kontaktdaten").status_code == 200  # delays alone keep the session
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(minutes=20))
    locked = _change_email(client, auth, "falsch-falsch-falsch")
    assert "Zugang bis" in locked.get_data(as_text=True) and "gesperrt" in locked.get_data(as_text=True)
    assert client.get("/konto/kontaktdaten").status_code == 302  # the fifth wrong password ended the session
