import smtplib, ssl
from tests.notify.conftest import SmtpServer, Certs
def test_x(smtp_server, certs):
    s = smtplib.SMTP("127.0.0.1", smtp_server.port, timeout=3)
    s.set_debuglevel(1)
    s.ehlo(); s.starttls(context=ssl.create_default_context(cafile=str(certs.ca_path))); s.ehlo()
    try:
        s.login("alerts", "wrong")
    except Exception as e:
        print("EXC", type(e), e)
