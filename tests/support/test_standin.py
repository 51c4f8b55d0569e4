"""Tests of the STS stand-in and the kube-apiserver recorder (tests/support).

Run:  bash tests/support/setup-env.sh && . ~/.cache/aws-iam-authenticator-ci/env.sh
      "$AIA_PYTHON" -m pytest -q tests/support/test_standin.py
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import botocore.auth  # noqa: E402
import botocore.session  # noqa: E402
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

from sts_standin import sigv4  # noqa: E402
from sts_standin.harness import ACCOUNT, ALICE, BOB, FEDERATED, ROOT, STATIC_SESSION, Recorder, StandIn, default_config  # noqa: E402

K8S_HEADER = "x-k8s-aws-id"
TOKEN_PREFIX = "k8s-aws-v1."
GCI_URL = "https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15"
ROLE_DEV = f"arn:aws:iam::{ACCOUNT}:role/dev"
ROLE_EXT = f"arn:aws:iam::{ACCOUNT}:role/external"
ROLE_MFA = f"arn:aws:iam::{ACCOUNT}:role/mfa"
ROLE_PATHY = f"arn:aws:iam::{ACCOUNT}:role/team/pathy"
ROLE_CHAINED = f"arn:aws:iam::{ACCOUNT}:role/chained"
ROLE_OPEN = f"arn:aws:iam::{ACCOUNT}:role/open"


# ---------------------------------------------------------------------------------------------
# helpers


@pytest.fixture(scope="session", autouse=True)
def _clean_aws_env(tmp_path_factory):
    """Keep the developer's AWS config, proxies and IMDS out of botocore and the aws CLI."""
    saved = dict(os.environ)
    for k in list(os.environ):
        if k.startswith("AWS_") or k.lower() in ("https_proxy", "http_proxy", "all_proxy", "no_proxy"):
            del os.environ[k]
    d = tmp_path_factory.mktemp("awsconfig")
    os.environ["AWS_CONFIG_FILE"] = str(d / "config")
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(d / "credentials")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    yield
    os.environ.clear()
    os.environ.update(saved)


def creds_of(user: dict) -> dict:
    return {"access_key_id": user["access_key_id"], "secret_access_key": user["secret_access_key"], "session_token": None}


def creds_from_sts(c: dict) -> dict:
    return {"access_key_id": c["AccessKeyId"], "secret_access_key": c["SecretAccessKey"], "session_token": c["SessionToken"]}


def presign(creds: dict, cluster="c1", region="us-west-2") -> str:
    """Presign GetCallerIdentity with x-k8s-aws-id signed, exactly as `aws eks get-token` does
    (awscli/customizations/eks/get_token.py: STSClientFactory + TokenGenerator)."""
    session = botocore.session.Session()
    client = session.create_client(
        "sts",
        region_name=region,
        aws_access_key_id=creds["access_key_id"],
        aws_secret_access_key=creds["secret_access_key"],
        aws_session_token=creds.get("session_token"),
    )

    def retrieve(params, context, **kwargs):
        if K8S_HEADER in params:
            context[K8S_HEADER] = params.pop(K8S_HEADER)

    def inject(request, **kwargs):
        if K8S_HEADER in request.context:
            request.headers[K8S_HEADER] = request.context[K8S_HEADER]

    client.meta.events.register("provide-client-params.sts.GetCallerIdentity", retrieve)
    client.meta.events.register("before-sign.sts.GetCallerIdentity", inject)
    return client.generate_presigned_url(
        "get_caller_identity", Params={K8S_HEADER: cluster}, ExpiresIn=60, HttpMethod="GET"
    )


def to_token(url: str) -> str:
    return TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def from_token(token: str) -> str:
    assert token.startswith(TOKEN_PREFIX)
    b = token[len(TOKEN_PREFIX):]
    return base64.urlsafe_b64decode(b + "=" * (-len(b) % 4)).decode()


def header_signed_post(creds: dict, body: str, region="us-west-2", host="sts.us-west-2.amazonaws.com", extra_headers=None):
    req = AWSRequest(
        method="POST",
        url=f"https://{host}/",
        data=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", **(extra_headers or {})},
    )
    c = Credentials(creds["access_key_id"], creds["secret_access_key"], creds.get("session_token"))
    SigV4Auth(c, "sts", region).add_auth(req)
    return req


KNOWN = {u["access_key_id"]: u["secret_access_key"] for u in (ALICE, BOB, ROOT, FEDERATED)}


def verify_direct(method, url, headers, body=b"", now=None, secrets=None):
    """Run the hand-written verifier in-process; returns AuthParams or raises SigV4Error."""
    secrets = KNOWN if secrets is None else secrets

    def lookup(auth):
        if auth.access_key_id not in secrets:
            raise sigv4.SigV4Error(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
        return secrets[auth.access_key_id]

    req = sigv4.request_from_url(method, url, list(headers.items()), body)
    return sigv4.verify(req, lookup, time.time() if now is None else now)


def sigerr(fn, *a, **kw) -> sigv4.SigV4Error:
    with pytest.raises(sigv4.SigV4Error) as ei:
        fn(*a, **kw)
    return ei.value


def replace_param(url: str, key: str, value: str) -> str:
    u = urlsplit(url)
    parts = []
    for p in u.query.split("&"):
        k = p.split("=", 1)[0]
        parts.append(f"{k}={value}" if k == key else p)
    return u._replace(query="&".join(parts)).geturl()


def proxy_request(sts, url, headers=None, method="GET", body=None, timeout=10.0):
    """Send one request to https://<host> through the stand-in's CONNECT proxy."""
    u = urlsplit(url)
    ctx = ssl.create_default_context(cafile=sts.ca_file)
    conn = http.client.HTTPSConnection("127.0.0.1", sts.proxy_port, context=ctx, timeout=timeout)
    conn.set_tunnel(u.hostname, u.port or 443)
    try:
        conn.request(method, (u.path or "/") + ("?" + u.query if u.query else ""), body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    finally:
        conn.close()


def http_request(sts, path, headers=None, method="GET", body=None, timeout=10.0):
    conn = http.client.HTTPConnection("127.0.0.1", sts.http_port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    finally:
        conn.close()


def sts_client(sts, creds: dict, region="us-west-2", **cfg):
    session = botocore.session.Session()
    return session.create_client(
        "sts",
        region_name=region,
        aws_access_key_id=creds["access_key_id"],
        aws_secret_access_key=creds["secret_access_key"],
        aws_session_token=creds.get("session_token"),
        verify=sts.ca_file,
        config=Config(proxies={"https": sts.proxy_url}, retries={"max_attempts": 1, "mode": "standard"}, **cfg),
    )


def aws_cli() -> str:
    cand = os.environ.get("AIA_AWS") or os.path.join(os.path.dirname(sys.executable), "aws")
    if not os.path.exists(cand):
        pytest.skip("aws CLI not installed (run tests/support/setup-env.sh)")
    return cand


def kubectl_bin():
    cand = os.environ.get("AIA_KUBECTL") or os.path.join(
        os.environ.get("AIA_CACHE", os.path.expanduser("~/.cache/aws-iam-authenticator-ci")), "bin", "kubectl"
    )
    return cand if os.path.exists(cand) else shutil.which("kubectl")


def cli_env(creds: dict, **extra) -> dict:
    env = dict(os.environ)
    env.update(
        AWS_ACCESS_KEY_ID=creds["access_key_id"],
        AWS_SECRET_ACCESS_KEY=creds["secret_access_key"],
        AWS_DEFAULT_REGION="us-west-2",
    )
    if creds.get("session_token"):
        env["AWS_SESSION_TOKEN"] = creds["session_token"]
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def sts(tmp_path_factory):
    s = StandIn(default_config(), tmp_path_factory.mktemp("standin"))
    s.start()
    yield s
    rc = s.stop()
    assert rc == 0, s.log_text()[-3000:]


@pytest.fixture(autouse=True)
def _no_fault(request):
    yield
    if "sts" in request.fixturenames:
        s = request.getfixturevalue("sts")
        s.fault("none")
        s.clock(offset_seconds=0)
        s.redirect(None)


# ---------------------------------------------------------------------------------------------
# the hand-written verifier, in process


def test_upstream_signing_vector_accepted():
    """§6 TestGetWithSTS: token produced by upstream (Go SDK v2) for a fixed time and key."""
    token = (
        "k8s-aws-v1.aHR0cHM6Ly9zdHMudXMtd2VzdC0yLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eSZWZXJzaW9uPTIwMTEtMDYtMTUmWC1BbXotQWxnb3JpdGhtPUFXUzQtSE1BQy1TSEEyNTYmWC1BbXotQ3JlZGVudGlhbD1BU0lBUjJURzQ0VjZBUzNaWkU3QyUyRjIwMjMwNDI4JTJGdXMtd2VzdC0yJTJGc3RzJTJGYXdzNF9yZXF1ZXN0JlgtQW16LURhdGU9MjAyMzA0MjhUMDAwMDAwWiZYLUFtei1FeHBpcmVzPTYwJlgtQW16LVNpZ25lZEhlYWRlcnM9aG9zdCUzQngtazhzLWF3cy1pZCZYLUFtei1TaWduYXR1cmU9ZTIxMWRiYTc3YWJhOWRjNDRiMGI2YmUzOGI4ZWFhZDA5MjU5OWM1MTU3ZjYzMTQ0NDRjNWI5ZDg1NzQ3ZjVjZQ"
    )
    url = from_token(token)
    secrets = {"ASIAR2TG44V6AS3ZZE7C": "4KD5cntGcVmLWRdF5wvNRuzNL5Qxmp6OKVY6Fz/Q"}
    auth = verify_direct("GET", url, {K8S_HEADER: "test-cluster"}, now=1682640000 + 60, secrets=secrets)
    assert auth.mode == "presigned" and auth.region == "us-west-2"
    e = sigerr(verify_direct, "GET", url, {K8S_HEADER: "other"}, now=1682640000 + 60, secrets=secrets)
    assert e.code == "SignatureDoesNotMatch"
    e = sigerr(verify_direct, "GET", url, {K8S_HEADER: "test-cluster"}, now=1682640000 + 16 * 60, secrets=secrets)
    assert e.code == "RequestExpired"


@pytest.mark.parametrize("with_token", [False, True])
def test_botocore_presigned_accepted(with_token):
    creds = creds_of(ALICE)
    secrets = dict(KNOWN)
    if with_token:
        creds = {"access_key_id": "ASIATESTSESSION00001", "secret_access_key": "s3cr3t/+=abc", "session_token": "tok/+==abc"}
        secrets[creds["access_key_id"]] = creds["secret_access_key"]
    url = presign(creds)
    q = dict(sigv4.parse_query(urlsplit(url).query))
    assert q["X-Amz-SignedHeaders"] == "host;x-k8s-aws-id"
    assert ("X-Amz-Security-Token" in q) == with_token
    auth = verify_direct("GET", url, {K8S_HEADER: "c1"}, secrets=secrets)
    assert auth.access_key_id == creds["access_key_id"]
    assert auth.security_token == creds["session_token"]


def test_presigned_reordered_query_accepted():
    """A verifier may re-serialise the query (sorted, re-encoded): still the same signature."""
    url = presign(creds_of(ALICE))
    u = urlsplit(url)
    parts = sorted(u.query.split("&"), reverse=True)
    verify_direct("GET", u._replace(query="&".join(parts)).geturl(), {K8S_HEADER: "c1", "Accept": "application/json"})


def test_presigned_unsigned_payload_accepted():
    """Signers that use UNSIGNED-PAYLOAD for presigned URLs are accepted too."""
    c = Credentials(ALICE["access_key_id"], ALICE["secret_access_key"])
    req = AWSRequest(method="GET", url=GCI_URL, headers={K8S_HEADER: "c1"})
    botocore.auth.S3SigV4QueryAuth(c, "sts", "us-west-2", expires=60).add_auth(req)
    verify_direct("GET", req.url, {K8S_HEADER: "c1"})


@pytest.mark.parametrize("with_token", [False, True])
def test_botocore_header_signed_post_accepted(with_token):
    creds = creds_of(ALICE)
    secrets = dict(KNOWN)
    if with_token:
        creds = {"access_key_id": "ASIATESTSESSION00002", "secret_access_key": "sec", "session_token": "T/+="}
        secrets[creds["access_key_id"]] = "sec"
    body = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fdev&RoleSessionName=s1"
    req = header_signed_post(creds, body)
    auth = verify_direct("POST", req.url, dict(req.headers.items()), req.body, secrets=secrets)
    assert auth.mode == "header" and auth.security_token == creds["session_token"]
    # tampered body
    e = sigerr(verify_direct, "POST", req.url, dict(req.headers.items()), req.body + b"&x=1", secrets=secrets)
    assert e.code == "SignatureDoesNotMatch"


def test_header_signed_clock_skew():
    req = header_signed_post(creds_of(ALICE), "Action=GetCallerIdentity&Version=2011-06-15")
    h = dict(req.headers.items())
    verify_direct("POST", req.url, h, req.body, now=time.time() + 4 * 60)
    e = sigerr(verify_direct, "POST", req.url, h, req.body, now=time.time() + 6 * 60)
    assert e.code == "SignatureDoesNotMatch" and "Signature expired" in e.message
    e = sigerr(verify_direct, "POST", req.url, h, req.body, now=time.time() - 6 * 60)
    assert "not yet current" in e.message


@pytest.fixture
def good_url():
    return presign(creds_of(ALICE))


def test_reject_changed_signature(good_url):
    sig = dict(sigv4.parse_query(urlsplit(good_url).query))["X-Amz-Signature"]
    bad = replace_param(good_url, "X-Amz-Signature", sig[:-1] + ("0" if sig[-1] != "0" else "1"))
    assert sigerr(verify_direct, "GET", bad, {K8S_HEADER: "c1"}).code == "SignatureDoesNotMatch"


def test_reject_changed_cluster_header(good_url):
    e = sigerr(verify_direct, "GET", good_url, {K8S_HEADER: "c2"})
    assert e.code == "SignatureDoesNotMatch" and "canonical request" in e.detail


def test_reject_missing_cluster_header(good_url):
    e = sigerr(verify_direct, "GET", good_url, {})
    assert e.code == "SignatureDoesNotMatch" and "x-k8s-aws-id" in e.detail


def test_reject_changed_host(good_url):
    e = sigerr(verify_direct, "GET", good_url, {K8S_HEADER: "c1", "Host": "sts.us-east-1.amazonaws.com"})
    assert e.code == "SignatureDoesNotMatch"


def test_reject_changed_date(good_url):
    date = dict(sigv4.parse_query(urlsplit(good_url).query))["X-Amz-Date"]
    ts = sigv4.parse_amz_date(date)
    for delta in (-1, 1):
        bad = replace_param(good_url, "X-Amz-Date", sigv4.fmt_amz_date(ts + delta))
        assert sigerr(verify_direct, "GET", bad, {K8S_HEADER: "c1"}).code == "SignatureDoesNotMatch"
    bad = replace_param(good_url, "X-Amz-Date", "notadate")
    assert sigerr(verify_direct, "GET", bad, {K8S_HEADER: "c1"}).status == 400


def test_reject_changed_credential(good_url):
    q = dict(sigv4.parse_query(urlsplit(good_url).query))
    akid, day, region, svc, term = q["X-Amz-Credential"].split("/")
    cases = {
        f"{BOB['access_key_id']}/{day}/{region}/{svc}/{term}": "SignatureDoesNotMatch",
        f"AKIAUNKNOWN000000000/{day}/{region}/{svc}/{term}": "InvalidClientTokenId",
        f"{akid}/{day}/us-east-1/{svc}/{term}": "SignatureDoesNotMatch",
        f"{akid}/20200101/{region}/{svc}/{term}": "SignatureDoesNotMatch",
        f"{akid}/{day}/{region}/iam/{term}": "SignatureDoesNotMatch",
        f"{akid}/{day}/{region}/{svc}": "IncompleteSignature",
    }
    for cred, code in cases.items():
        bad = replace_param(good_url, "X-Amz-Credential", cred.replace("/", "%2F"))
        assert sigerr(verify_direct, "GET", bad, {K8S_HEADER: "c1"}).code == code, cred


def test_reject_extra_or_missing_param(good_url):
    assert sigerr(verify_direct, "GET", good_url + "&Foo=bar", {K8S_HEADER: "c1"}).code == "SignatureDoesNotMatch"
    bad = replace_param(good_url, "Action", "AssumeRole")
    assert sigerr(verify_direct, "GET", bad, {K8S_HEADER: "c1"}).code == "SignatureDoesNotMatch"
    u = urlsplit(good_url)
    no_expires = "&".join(p for p in u.query.split("&") if not p.startswith("X-Amz-Expires="))
    assert sigerr(verify_direct, "GET", u._replace(query=no_expires).geturl(), {K8S_HEADER: "c1"}).code == "SignatureDoesNotMatch"
    no_sig = "&".join(p for p in u.query.split("&") if not p.startswith("X-Amz-Signature="))
    assert sigerr(verify_direct, "GET", u._replace(query=no_sig).geturl(), {K8S_HEADER: "c1"}).code == "IncompleteSignature"


def test_reject_unescaped_plus_in_session_token():
    creds = {"access_key_id": "ASIATESTSESSION00003", "secret_access_key": "sec", "session_token": "a+b/c=="}
    secrets = {creds["access_key_id"]: "sec"}
    url = presign(creds)
    assert "%2B" in url
    verify_direct("GET", url, {K8S_HEADER: "c1"}, secrets=secrets)
    bad = url.replace("%2B", "+")
    assert sigerr(verify_direct, "GET", bad, {K8S_HEADER: "c1"}, secrets=secrets).code == "SignatureDoesNotMatch"


def test_reject_expired_and_future_dates(monkeypatch):
    real = botocore.auth.get_current_datetime

    def sign_at(offset):
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: real() + dt.timedelta(seconds=offset))
        try:
            return presign(creds_of(ALICE))
        finally:
            monkeypatch.setattr(botocore.auth, "get_current_datetime", real)

    verify_direct("GET", sign_at(-14 * 60), {K8S_HEADER: "c1"})
    e = sigerr(verify_direct, "GET", sign_at(-16 * 60), {K8S_HEADER: "c1"})
    assert e.code == "RequestExpired" and "expired" in e.message
    verify_direct("GET", sign_at(14 * 60), {K8S_HEADER: "c1"})
    e = sigerr(verify_direct, "GET", sign_at(16 * 60), {K8S_HEADER: "c1"})
    assert e.code == "SignatureDoesNotMatch" and "not yet current" in e.message


def test_missing_authentication():
    e = sigerr(verify_direct, "GET", GCI_URL, {K8S_HEADER: "c1"})
    assert e.code == "MissingAuthenticationToken" and e.status == 403


# ---------------------------------------------------------------------------------------------
# end to end through the running stand-in


def gci_via_proxy(sts, url, cluster="c1", accept_json=True):
    headers = {K8S_HEADER: cluster}
    if accept_json:
        headers["Accept"] = "application/json"
    return proxy_request(sts, url, headers)


def test_aws_eks_get_token_end_to_end(sts):
    out = subprocess.run(
        [aws_cli(), "eks", "get-token", "--cluster-name", "c1", "--output", "json"],
        env=cli_env(creds_of(ALICE)), capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    cred = json.loads(out.stdout)
    assert cred["kind"] == "ExecCredential"
    token = cred["status"]["token"]
    url = from_token(token)
    assert url.startswith("https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&")

    status, headers, body = gci_via_proxy(sts, url, "c1")
    assert status == 200, body
    assert headers["content-type"].startswith("application/json")
    doc = json.loads(body)
    res = doc["GetCallerIdentityResponse"]["GetCallerIdentityResult"]
    assert res == {"Account": ACCOUNT, "Arn": ALICE["arn"], "UserId": ALICE["user_id"]}
    assert doc["GetCallerIdentityResponse"]["ResponseMetadata"]["RequestId"]

    status, headers, body = gci_via_proxy(sts, url, "c2")
    assert status == 403
    err = json.loads(body)
    assert err["Error"]["Code"] == "SignatureDoesNotMatch" and err["Error"]["Type"] == "Sender" and err["RequestId"]

    status, headers, body = gci_via_proxy(sts, url, "c1", accept_json=False)
    assert status == 200 and headers["content-type"].startswith("text/xml")
    assert b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">' in body
    assert f"<Arn>{ALICE['arn']}</Arn>".encode() in body

    status, _, body = gci_via_proxy(sts, url, "c2", accept_json=False)
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body and b"<Type>Sender</Type>" in body


def test_aws_eks_get_token_with_role_through_proxy(sts):
    """awscli's --role-arn calls AssumeRole over HTTPS through the proxy, trusting the test CA."""
    env = sts.client_env(cli_env(creds_of(ALICE)))
    out = subprocess.run(
        [aws_cli(), "eks", "get-token", "--cluster-name", "c1", "--role-arn", ROLE_DEV],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    url = from_token(json.loads(out.stdout)["status"]["token"])
    assert "X-Amz-Security-Token=" in url
    status, _, body = gci_via_proxy(sts, url, "c1")
    assert status == 200, body
    res = json.loads(body)["GetCallerIdentityResponse"]["GetCallerIdentityResult"]
    assert res["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/dev/EKSGetTokenAuth"
    assert res["UserId"] == "AROADEV00000000000001:EKSGetTokenAuth"


def test_presigned_via_plain_http_port(sts):
    url = presign(creds_of(ALICE))
    u = urlsplit(url)
    status, _, body = http_request(sts, "/?" + u.query, {K8S_HEADER: "c1", "Host": u.netloc, "Accept": "application/json"})
    assert status == 200, body
    # the plain port's own Host does not match what was signed
    status, _, body = http_request(sts, "/?" + u.query, {K8S_HEADER: "c1"})
    assert status == 403 and b"SignatureDoesNotMatch" in body


def test_botocore_direct_endpoint(sts):
    """AWS_ENDPOINT_URL_STS-style use of the plain port (header-signed POST)."""
    client = botocore.session.Session().create_client(
        "sts", region_name="us-east-1", endpoint_url=sts.http_url,
        aws_access_key_id=ROOT["access_key_id"], aws_secret_access_key=ROOT["secret_access_key"],
    )
    r = client.get_caller_identity()
    assert r["Arn"] == f"arn:aws:iam::{ACCOUNT}:root" and r["UserId"] == ACCOUNT


def test_identities_of_users(sts):
    for user, user_id in ((ALICE, ALICE["user_id"]), (ROOT, ACCOUNT), (FEDERATED, f"{ACCOUNT}:carol"), (BOB, BOB["user_id"])):
        r = sts_client(sts, creds_of(user)).get_caller_identity()
        assert (r["Arn"], r["UserId"], r["Account"]) == (user["arn"], user_id, ACCOUNT)


def test_static_session_user(sts):
    creds = {k: STATIC_SESSION[k] for k in ("access_key_id", "secret_access_key", "session_token")}
    status, _, body = gci_via_proxy(sts, presign(creds))
    assert status == 200, body
    res = json.loads(body)["GetCallerIdentityResponse"]["GetCallerIdentityResult"]
    assert res["Arn"] == STATIC_SESSION["arn"] and res["UserId"] == STATIC_SESSION["user_id"]
    status, _, body = gci_via_proxy(sts, presign(dict(creds, session_token=None)))
    assert status == 403 and json.loads(body)["Error"]["Code"] == "InvalidClientTokenId"
    # a long-term key must not carry a session token
    status, _, body = gci_via_proxy(sts, presign(dict(creds_of(ALICE), session_token="bogus")))
    assert status == 403 and json.loads(body)["Error"]["Code"] == "InvalidClientTokenId"


def test_assume_role_and_identity(sts):
    c = sts_client(sts, creds_of(ALICE))
    r = c.assume_role(RoleArn=ROLE_DEV, RoleSessionName="alice-session", DurationSeconds=900)
    cr = r["Credentials"]
    assert cr["AccessKeyId"].startswith("ASIA") and len(cr["AccessKeyId"]) == 20
    assert len(cr["SecretAccessKey"]) == 40
    assert 300 <= len(cr["SessionToken"]) <= 900 and "/" in cr["SessionToken"] and "+" in cr["SessionToken"]
    assert cr["SessionToken"].endswith("=")
    left = (cr["Expiration"] - dt.datetime.now(dt.timezone.utc)).total_seconds()
    assert 880 < left <= 901
    assert r["AssumedRoleUser"] == {
        "AssumedRoleId": "AROADEV00000000000001:alice-session",
        "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/dev/alice-session",
    }
    me = sts_client(sts, creds_from_sts(cr)).get_caller_identity()
    assert me["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/dev/alice-session"
    assert me["UserId"] == "AROADEV00000000000001:alice-session"

    # presigned token with the session credentials (X-Amz-Security-Token in the URL)
    url = presign(creds_from_sts(cr), cluster="c1", region="eu-west-1")
    status, _, body = gci_via_proxy(sts, url)
    assert status == 200, body
    assert json.loads(body)["GetCallerIdentityResponse"]["GetCallerIdentityResult"]["Arn"].endswith("assumed-role/dev/alice-session")

    # wrong / missing session token
    bad = dict(creds_from_sts(cr), session_token=cr["SessionToken"][:-4] + "AAA=")
    status, _, body = gci_via_proxy(sts, presign(bad))
    assert status == 403 and json.loads(body)["Error"]["Code"] == "InvalidClientTokenId"
    status, _, body = gci_via_proxy(sts, presign(dict(creds_from_sts(cr), session_token=None)))
    assert status == 403 and json.loads(body)["Error"]["Code"] == "InvalidClientTokenId"


def test_assume_role_path_is_dropped_and_chaining(sts):
    r = sts_client(sts, creds_of(ALICE)).assume_role(RoleArn=ROLE_PATHY, RoleSessionName="p1")
    assert r["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/pathy/p1"
    dev = sts_client(sts, creds_of(ALICE)).assume_role(RoleArn=ROLE_DEV, RoleSessionName="d1")["Credentials"]
    r = sts_client(sts, creds_from_sts(dev)).assume_role(RoleArn=ROLE_CHAINED, RoleSessionName="c1")
    assert r["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/chained/c1"
    r = sts_client(sts, creds_of(FEDERATED)).assume_role(RoleArn=ROLE_OPEN, RoleSessionName="f1")
    assert r["AssumedRoleUser"]["Arn"].endswith("assumed-role/open/f1")


def assume_error(sts, creds, **kw) -> ClientError:
    with pytest.raises(ClientError) as ei:
        sts_client(sts, creds).assume_role(**kw)
    return ei.value


def test_assume_role_external_id_and_mfa(sts):
    alice = creds_of(ALICE)
    c = sts_client(sts, alice)
    assert c.assume_role(RoleArn=ROLE_EXT, RoleSessionName="e1", ExternalId="ext-123")["AssumedRoleUser"]["Arn"].endswith("/external/e1")
    for kw in ({}, {"ExternalId": "wrong-id"}):
        e = assume_error(sts, alice, RoleArn=ROLE_EXT, RoleSessionName="e2", **kw)
        assert e.response["Error"]["Code"] == "AccessDenied"
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert e.response["Error"]["Message"] == (
            f"User: {ALICE['arn']} is not authorized to perform: sts:AssumeRole on resource: {ROLE_EXT}"
        )
    serial = f"arn:aws:iam::{ACCOUNT}:mfa/alice"
    assert c.assume_role(RoleArn=ROLE_MFA, RoleSessionName="m1", SerialNumber=serial, TokenCode="123456")
    for kw in ({}, {"SerialNumber": serial, "TokenCode": "654321"}, {"SerialNumber": serial + "x", "TokenCode": "123456"}):
        assert assume_error(sts, alice, RoleArn=ROLE_MFA, RoleSessionName="m2", **kw).response["Error"]["Code"] == "AccessDenied"


def test_assume_role_denied_and_validation(sts):
    e = assume_error(sts, creds_of(BOB), RoleArn=ROLE_DEV, RoleSessionName="b1")
    assert e.response["Error"]["Message"] == (
        f"User: {BOB['arn']} is not authorized to perform: sts:AssumeRole on resource: {ROLE_DEV}"
    )
    e = assume_error(sts, creds_of(ALICE), RoleArn=f"arn:aws:iam::{ACCOUNT}:role/nope", RoleSessionName="x1")
    assert e.response["Error"]["Code"] == "AccessDenied"
    e = assume_error(sts, creds_of(ALICE), RoleArn=ROLE_DEV, RoleSessionName="bad name!")
    assert e.response["Error"]["Code"] == "ValidationError"
    e = assume_error(sts, creds_of(ALICE), RoleArn=ROLE_DEV, RoleSessionName="long", DurationSeconds=7200)
    assert e.response["Error"]["Code"] == "ValidationError" and "MaxSessionDuration" in e.response["Error"]["Message"]
    # the key is unknown
    e = assume_error(sts, {"access_key_id": "AKIANOBODY0000000000", "secret_access_key": "x"}, RoleArn=ROLE_OPEN, RoleSessionName="nn")
    assert e.response["Error"]["Code"] == "InvalidClientTokenId"
    # right key, wrong secret
    e = assume_error(sts, {"access_key_id": ALICE["access_key_id"], "secret_access_key": "wrong"}, RoleArn=ROLE_OPEN, RoleSessionName="nn")
    assert e.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_short_session_expires(sts):
    cr = sts_client(sts, creds_of(ALICE), parameter_validation=False).assume_role(RoleArn=ROLE_DEV, RoleSessionName="short", DurationSeconds=1)["Credentials"]
    url = presign(creds_from_sts(cr))
    sts.clock(advance_seconds=2)
    status, _, body = gci_via_proxy(sts, url)
    assert status == 403 and json.loads(body)["Error"] == {
        "Code": "ExpiredToken", "Message": "The security token included in the request is expired", "Type": "Sender",
    }
    sts.clock(offset_seconds=16 * 60)
    status, _, body = gci_via_proxy(sts, presign(creds_of(ALICE)))
    assert status == 403 and json.loads(body)["Error"]["Code"] == "RequestExpired"


def test_date_header_follows_the_standin_clock(sts):
    import email.utils as eu
    status, h, _ = gci_via_proxy(sts, presign(creds_of(ALICE)))
    assert status == 200 and abs(eu.parsedate_to_datetime(h["date"]).timestamp() - time.time()) < 60
    sts.clock(offset_seconds=600)
    status, h, _ = gci_via_proxy(sts, presign(creds_of(ALICE)))
    assert status == 200
    skew = eu.parsedate_to_datetime(h["date"]).timestamp() - time.time()
    assert 540 < skew < 660, skew


def signed_raw(creds, body, accept_json):
    req = header_signed_post(creds, body)
    headers = dict(req.headers.items())
    if accept_json:
        headers["Accept"] = "application/json"
    return req, headers


def test_assume_role_json_and_xml_raw(sts):
    body = f"Action=AssumeRole&Version=2011-06-15&RoleArn={ROLE_DEV.replace(':', '%3A').replace('/', '%2F')}&RoleSessionName=raw1&DurationSeconds=60"
    req, headers = signed_raw(creds_of(ALICE), body, True)
    status, h, out = proxy_request(sts, req.url, headers, method="POST", body=req.body)
    assert status == 200 and h["content-type"].startswith("application/json"), out
    res = json.loads(out)["AssumeRoleResponse"]["AssumeRoleResult"]
    assert res["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/dev/raw1"
    assert set(res["Credentials"]) == {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}

    req, headers = signed_raw(creds_of(ALICE), body, False)
    status, h, out = proxy_request(sts, req.url, headers, method="POST", body=req.body)
    assert status == 200 and h["content-type"].startswith("text/xml")
    assert out.startswith(b'<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">')
    for tag in (b"<AccessKeyId>ASIA", b"<SessionToken>", b"<Expiration>", b"<AssumedRoleId>AROADEV00000000000001:raw1"):
        assert tag in out

    denied = body.replace("raw1", "raw2")
    req, headers = signed_raw(creds_of(BOB), denied, True)
    status, _, out = proxy_request(sts, req.url, headers, method="POST", body=req.body)
    assert status == 403 and json.loads(out)["Error"]["Code"] == "AccessDenied"
    req, headers = signed_raw(creds_of(BOB), denied, False)
    status, _, out = proxy_request(sts, req.url, headers, method="POST", body=req.body)
    assert status == 403 and b"<Code>AccessDenied</Code>" in out and b"<ErrorResponse" in out


def test_unknown_action(sts):
    req, headers = signed_raw(creds_of(ALICE), "Action=GetSessionTokenX&Version=2011-06-15", True)
    status, _, out = proxy_request(sts, req.url, headers, method="POST", body=req.body)
    assert status == 400 and json.loads(out)["Error"]["Code"] == "InvalidAction"


def test_counters_and_reset(sts):
    sts.reset()
    url = presign(creds_of(ALICE), cluster="count-me")
    gci_via_proxy(sts, url, "count-me")
    gci_via_proxy(sts, url, "count-me")
    sts_client(sts, creds_of(ALICE)).assume_role(RoleArn=ROLE_DEV, RoleSessionName="cnt")
    calls = sts.calls()
    assert calls["counts"] == {"GetCallerIdentity": 2, "AssumeRole": 1}
    r = calls["requests"][0]
    for k in ("action", "access_key_id", "host", "x_k8s_aws_id", "method", "status", "time"):
        assert k in r
    assert r["action"] == "GetCallerIdentity" and r["x_k8s_aws_id"] == "count-me" and r["status"] == 200
    assert r["host"] == "sts.us-west-2.amazonaws.com" and r["method"] == "GET" and r["access_key_id"] == ALICE["access_key_id"]
    assert calls["requests"][2]["action"] == "AssumeRole" and calls["requests"][2]["method"] == "POST"
    sts.reset()
    assert sts.calls()["counts"] == {} and sts.calls()["requests"] == []


def test_fault_throttle_and_500_and_malformed(sts):
    url = presign(creds_of(ALICE))
    sts.fault("throttle")
    status, _, body = gci_via_proxy(sts, url)
    assert status == 400 and json.loads(body)["Error"] == {"Code": "Throttling", "Message": "Rate exceeded", "Type": "Sender"}
    status, _, body = gci_via_proxy(sts, url, accept_json=False)
    assert status == 400 and b"<Code>Throttling</Code>" in body and b"Rate exceeded" in body
    sts.fault("error500")
    status, _, body = gci_via_proxy(sts, url)
    assert status == 500 and json.loads(body)["Error"]["Code"] == "InternalFailure"
    sts.fault("malformed-json")
    status, h, body = gci_via_proxy(sts, url)
    assert status == 200 and h["content-type"] == "application/json"
    with pytest.raises(ValueError):
        json.loads(body)
    sts.fault("malformed-xml")
    status, h, body = gci_via_proxy(sts, url)
    assert status == 200 and h["content-type"] == "text/xml" and body.startswith(b"<GetCallerIdentityResponse")
    sts.fault("throttle", count=1)
    assert gci_via_proxy(sts, url)[0] == 400
    assert gci_via_proxy(sts, url)[0] == 200
    sts.fault("none")
    assert gci_via_proxy(sts, url)[0] == 200


def test_fault_filtered_by_action(sts):
    sts.fault("error500", actions=["AssumeRole"])
    assert gci_via_proxy(sts, presign(creds_of(ALICE)))[0] == 200
    e = assume_error(sts, creds_of(ALICE), RoleArn=ROLE_DEV, RoleSessionName="f500")
    assert e.response["Error"]["Code"] == "InternalFailure"
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    sts.fault("refuse", count=1)
    with pytest.raises((OSError, http.client.HTTPException)):
        gci_via_proxy(sts, presign(creds_of(ALICE)))
    assert gci_via_proxy(sts, presign(creds_of(ALICE)))[0] == 200


def test_fault_refuse(sts):
    url = presign(creds_of(ALICE))
    sts.fault("refuse")
    with pytest.raises((OSError, http.client.HTTPException)):
        gci_via_proxy(sts, url)
    with pytest.raises((OSError, http.client.HTTPException)):
        http_request(sts, "/?" + urlsplit(url).query, {K8S_HEADER: "c1"})
    assert sts.calls()["refused_connects"] >= 1
    sts.fault("none")
    assert gci_via_proxy(sts, url)[0] == 200


def test_fault_slow_and_hang(sts):
    url = presign(creds_of(ALICE))
    sts.fault("slow", 0.6)
    t0 = time.time()
    assert gci_via_proxy(sts, url)[0] == 200
    assert time.time() - t0 >= 0.6
    sts.reset()
    sts.fault("hang")
    t0 = time.time()
    with pytest.raises((socket.timeout, TimeoutError)):
        proxy_request(sts, url, {K8S_HEADER: "c1"}, timeout=0.7)
    assert 0.6 < time.time() - t0 < 5
    calls = sts.calls()
    assert calls["counts"] == {"GetCallerIdentity": 1} and calls["requests"][0]["fault"] == "hang"
    sts.fault("none")
    assert gci_via_proxy(sts, url)[0] == 200


def test_redirect_not_followed(sts):
    sts.redirect("https://evil.example.com/")
    status, h, _ = gci_via_proxy(sts, presign(creds_of(ALICE)))
    assert status == 302 and h["location"] == "https://evil.example.com/"


def test_proxy_rejects_plain_requests_and_keeps_alive(sts):
    conn = http.client.HTTPConnection("127.0.0.1", sts.proxy_port, timeout=5)
    conn.request("GET", "http://sts.us-west-2.amazonaws.com/")
    r = conn.getresponse()
    assert r.status == 405
    r.read()
    conn.close()

    # several requests on one TLS connection (HTTP/1.1 keep-alive), SNI-specific certificate
    url = presign(creds_of(ALICE), region="ap-southeast-2")
    u = urlsplit(url)
    ctx = ssl.create_default_context(cafile=sts.ca_file)
    conn = http.client.HTTPSConnection("127.0.0.1", sts.proxy_port, context=ctx, timeout=5)
    conn.set_tunnel(u.hostname, 443)
    for _ in range(3):
        conn.request("GET", "/?" + u.query, headers={K8S_HEADER: "c1", "Accept": "application/json"})
        r = conn.getresponse()
        assert r.status == 200, r.read()
        r.read()
    cert = conn.sock.getpeercert()
    assert ("DNS", "sts.ap-southeast-2.amazonaws.com") in cert["subjectAltName"]
    conn.close()


def test_loopback_connect_is_tunnelled(sts):
    conn = http.client.HTTPConnection("127.0.0.1", sts.proxy_port, timeout=5)
    conn.set_tunnel("127.0.0.1", sts.http_port)
    conn.request("GET", "/_standin/health")
    r = conn.getresponse()
    assert r.status == 200 and json.loads(r.read())["ok"] is True
    conn.close()


def test_twenty_concurrent_clients(sts):
    urls = [presign(creds_of(ALICE), cluster=f"c{i}") for i in range(20)]
    results = [None] * 20
    barrier = threading.Barrier(20)

    def run(i):
        barrier.wait()
        try:
            results[i] = gci_via_proxy(sts, urls[i], f"c{i}")[0]
        except Exception as e:  # pragma: no cover
            results[i] = repr(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [200] * 20


def test_sigterm_exits_cleanly(tmp_path):
    s = StandIn(default_config(), tmp_path).start()
    assert os.path.exists(s.ready_file)
    ready = json.load(open(s.ready_file))
    assert set(ready) >= {"proxy_port", "http_port", "ca_file", "pid"} and os.path.isabs(ready["ca_file"])
    assert "BEGIN CERTIFICATE" in open(ready["ca_file"]).read()
    # a connection hanging in "hang" mode must not block shutdown
    s.fault("hang")
    hung = socket.create_connection(("127.0.0.1", s.http_port))
    hung.sendall(b"GET /?Action=GetCallerIdentity HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.2)
    t0 = time.time()
    s.proc.send_signal(signal.SIGTERM)
    assert s.proc.wait(10) == 0
    assert time.time() - t0 < 5
    assert not os.path.exists(s.ready_file)
    hung.close()
    s.stop()


# ---------------------------------------------------------------------------------------------
# recorder (fake kube-apiserver)


def test_recorder_records_bearer_tokens(tmp_path):
    with Recorder(tmp_path) as rec:
        ctx = ssl.create_default_context(cafile=rec.ca_file)
        for host in ("127.0.0.1", "localhost"):
            conn = http.client.HTTPSConnection(host, rec.port, context=ctx, timeout=5)
            conn.request("GET", "/version", headers={"Authorization": f"Bearer tok-{host}"})
            r = conn.getresponse()
            assert r.status == 200
            v = json.loads(r.read())
            assert v["major"] == "1" and v["gitVersion"].startswith("v1.34")
            conn.request("GET", "/api", headers={"Authorization": f"Bearer tok-{host}"})
            r = conn.getresponse()
            assert r.status == 200 and json.loads(r.read())["versions"] == ["v1"]
            conn.request("GET", "/nope", headers={"Authorization": f"Bearer tok-{host}"})
            r = conn.getresponse()
            assert r.status == 404 and json.loads(r.read())["kind"] == "Status"
            conn.request("GET", "/version")
            r = conn.getresponse()
            assert r.status == 401
            r.read()
            conn.close()
        assert rec.tokens() == ["tok-127.0.0.1"] * 3 + ["tok-localhost"] * 3
        ready = json.load(open(rec.ready_file))
        assert set(ready) >= {"port", "ca_file"}


def test_kubectl_exec_plugin_token_verifies(sts, tmp_path):
    """Real kubectl 1.34 runs `aws eks get-token` as its exec plugin against the recorder; the
    recorded token verifies at the stand-in (the same flow the Rust binary will be tested in)."""
    kubectl = kubectl_bin()
    if not kubectl:
        pytest.skip("kubectl not installed (run tests/support/setup-env.sh)")
    with Recorder(tmp_path) as rec:
        kc = rec.kubeconfig(
            str(tmp_path / "kubeconfig"), aws_cli(), ["eks", "get-token", "--cluster-name", "kc-cluster", "--region", "us-west-2"]
        )
        env = sts.client_env(cli_env(creds_of(ALICE)))
        env["HOME"] = str(tmp_path)
        out = subprocess.run([kubectl, "--kubeconfig", kc, "get", "--raw", "/version"], env=env,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["gitVersion"].startswith("v1.34")
        tokens = rec.tokens()
        assert tokens and all(t.startswith(TOKEN_PREFIX) for t in tokens)
    status, _, body = gci_via_proxy(sts, from_token(tokens[-1]), "kc-cluster")
    assert status == 200, body
    assert json.loads(body)["GetCallerIdentityResponse"]["GetCallerIdentityResult"]["Arn"] == ALICE["arn"]
    assert gci_via_proxy(sts, from_token(tokens[-1]), "other-cluster")[0] == 403
