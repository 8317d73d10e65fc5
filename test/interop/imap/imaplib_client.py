"""Drives Tidings with Python's imaplib (a client we did not write); prints one JSON object.

Usage: imaplib_client.py PORT IMAPS_PORT USER PASSWORD
"""
import imaplib
import json
import ssl
import sys

port, imaps_port, user, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
out = {}

m = imaplib.IMAP4('127.0.0.1', port)
out['logindisabled'] = 'LOGINDISABLED' in m.capabilities
m.starttls(ssl_context=ctx)
out['login'] = m.login(user, password)[0]
typ, boxes = m.list()
out['list'] = [b.decode() for b in boxes]
out['create'] = m.create('Reports/2024')[0]
message = (b'From: Py <py@example.test>\r\nTo: ' + user.encode() + b'\r\nSubject: From imaplib\r\n'
           b'Message-ID: <py-1@example.test>\r\n\r\nHello from Python, caf\xc3\xa9.\r\n')
typ, data = m.append('INBOX', '(\\Flagged)', imaplib.Time2Internaldate(1700000000), message)
out['append'] = [typ, data[0].decode()]
typ, data = m.select('INBOX')
out['select'] = [typ, data[0].decode()]
typ, data = m.fetch('1', '(FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY[TEXT])')
out['fetch_head'] = data[0][0].decode()
out['fetch_header'] = data[0][1].decode()
out['fetch_text'] = data[1][1].decode() if isinstance(data[1], tuple) else None
typ, data = m.fetch('1', '(FLAGS)')
out['flags_after'] = data[0].decode()
typ, data = m.search('UTF-8', 'BODY', '"caf\xe9"'.encode('utf-8'))
out['search_utf8'] = data[0].decode()
typ, data = m.uid('SEARCH', 'FROM', 'py')
out['uid_search'] = data[0].decode()
out['copy'] = m.copy('1', 'Reports/2024')[0]
typ, data = m.store('1', '+FLAGS', '(\\Deleted)')
out['store'] = data[0].decode()
typ, data = m.expunge()
out['expunge'] = [d.decode() for d in data if d]
typ, data = m.status('Reports/2024', '(MESSAGES UNSEEN)')
out['status'] = data[0].decode()
m.close()
out['logout'] = m.logout()[0]

s = imaplib.IMAP4_SSL('127.0.0.1', imaps_port, ssl_context=ctx)
out['imaps_login'] = s.login(user, password)[0]
typ, data = s.select('Reports/2024', readonly=True)
out['imaps_examine'] = data[0].decode()
s.logout()
print(json.dumps(out))
