//! Connections cannot be starved: the protocol comes from ALPN, silent, half-open and
//! idle connections are closed, a connection cannot live for ever, idle connections
//! beyond the cap give way to a review, the health port has its own cap, and the
//! `connection limit reached` line is rate-limited.
//!
//! The clients here speak TLS through rustls and HTTP/2 as raw frames, so each test
//! controls exactly what the server sees. The server runs with short hidden timeouts;
//! the bounds the tests wait for are generous (a loaded CI machine).
#![cfg(feature = "server")]

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::webhook::{ALICE_CONFIG, Webhook};
use common::*;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConnection, StreamOwned};

/// How long a test waits for the server to close a connection it should close (the
/// server's own limits in these tests are 1 to 4 s).
const CLOSE_BOUND: Duration = Duration::from_secs(30);

/// Short limits, so the tests see the watchdog act.
const SHORT: &[&str] = &[
    "--connection-first-request-timeout",
    "1s",
    "--connection-idle-timeout",
    "2s",
    "--connection-max-age",
    "4s",
];

type Tls = StreamOwned<ClientConnection, TcpStream>;

/// A TLS connection to `server` offering `alpn`, with the handshake done. The server is
/// verified against the CA of the kubeconfig it wrote, as kube-apiserver verifies it,
/// through the library's own trust rule (webpki alone refuses the self-signed `CA:TRUE`
/// certificate as an end entity).
fn tls(server: &Webhook, alpn: &[&[u8]]) -> Tls {
    use rustls::pki_types::pem::PemObject;
    let ca = CertificateDer::from_pem_file(server.ca_file()).expect("the webhook's CA");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = aws_iam_authenticator::tls_trust::client_config(vec![ca], provider).unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let conn = ClientConnection::new(Arc::new(config), "localhost".try_into().unwrap()).unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut stream = StreamOwned::new(conn, tcp);
    while stream.conn.is_handshaking() {
        stream
            .conn
            .complete_io(&mut stream.sock)
            .expect("TLS handshake");
    }
    stream
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// Reads (and returns) what the server sends until it closes the connection; `None`
/// if it is still open after `bound`.
fn read_until_closed(s: &mut impl Read, bound: Duration) -> Option<(Vec<u8>, Duration)> {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while start.elapsed() < bound {
        match s.read(&mut buf) {
            Ok(0) => return Some((got, start.elapsed())),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if is_timeout(&e) => {}
            Err(_) => return Some((got, start.elapsed())),
        }
    }
    None
}

/// True when `bytes` begins with an HTTP/2 frame header of a SETTINGS frame (what an
/// HTTP/2 server sends first).
fn starts_with_h2_settings(bytes: &[u8]) -> bool {
    bytes.len() >= 9 && bytes[3] == 0x4 && bytes[5..9] == [0, 0, 0, 0]
}

const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const SETTINGS: u8 = 0x4;
const PING: u8 = 0x6;
const GOAWAY: u8 = 0x7;
const HEADERS: u8 = 0x1;

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut f = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
    f.extend_from_slice(&stream.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// A GET of `/healthz` as an HTTP/2 HEADERS frame (HPACK: indexed `:method GET` and
/// `:scheme https`, literal `:path` and `:authority`), ending the stream.
fn get_healthz(stream: u32) -> Vec<u8> {
    let mut block = vec![0x82, 0x87, 0x44, 8];
    block.extend_from_slice(b"/healthz");
    block.extend_from_slice(&[0x41, 9]);
    block.extend_from_slice(b"localhost");
    frame(HEADERS, 0x4 | 0x1, stream, &block)
}

/// A minimal HTTP/2 client over raw frames: it acknowledges SETTINGS and answers PINGs,
/// as a well-behaved (but possibly idle) client does.
struct H2 {
    s: Tls,
    buf: Vec<u8>,
    goaway: bool,
    /// Streams the server answered with HEADERS.
    answered: Vec<u32>,
}

impl H2 {
    fn connect(server: &Webhook) -> H2 {
        let mut s = tls(server, &[b"h2"]);
        assert_eq!(s.conn.alpn_protocol(), Some(&b"h2"[..]));
        s.write_all(H2_PREFACE).unwrap();
        s.write_all(&frame(SETTINGS, 0, 0, &[])).unwrap();
        H2 {
            s,
            buf: Vec::new(),
            goaway: false,
            answered: Vec::new(),
        }
    }

    fn send(&mut self, bytes: &[u8]) -> bool {
        self.s.write_all(bytes).and_then(|_| self.s.flush()).is_ok()
    }

    /// Handles what the server sent for up to `wait`; false once the connection closed.
    fn pump(&mut self, wait: Duration) -> bool {
        let until = Instant::now() + wait;
        let mut chunk = [0u8; 4096];
        loop {
            while self.buf.len() >= 9 {
                let len = (usize::from(self.buf[0]) << 16)
                    | (usize::from(self.buf[1]) << 8)
                    | usize::from(self.buf[2]);
                if self.buf.len() < 9 + len {
                    break;
                }
                let (kind, flags) = (self.buf[3], self.buf[4]);
                let stream = u32::from_be_bytes(self.buf[5..9].try_into().unwrap()) & 0x7fff_ffff;
                let payload = self.buf[9..9 + len].to_vec();
                self.buf.drain(..9 + len);
                match kind {
                    SETTINGS if flags & 1 == 0 => {
                        self.send(&frame(SETTINGS, 1, 0, &[]));
                    }
                    PING if flags & 1 == 0 => {
                        self.send(&frame(PING, 1, 0, &payload));
                    }
                    GOAWAY => self.goaway = true,
                    HEADERS => self.answered.push(stream),
                    _ => {}
                }
            }
            if Instant::now() >= until {
                return true;
            }
            match self.s.read(&mut chunk) {
                Ok(0) => return false,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if is_timeout(&e) => {}
                Err(_) => return false,
            }
        }
    }
}

fn short_server(sts: &StandIn, extra: &[&str]) -> Webhook {
    let mut args: Vec<&str> = SHORT.to_vec();
    args.extend_from_slice(extra);
    Webhook::start(sts, ALICE_CONFIG, &args)
}

fn alice_token(sts: &StandIn, home: &Path) -> String {
    mint(with_alice(&mut sts.command(home)).args(["token", "-i", "test-cluster"]))
}

/// Open file descriptors of `pid` (Linux).
fn fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn protocol_comes_from_alpn_not_from_the_first_bytes() {
    let sts = StandIn::start();
    let server = short_server(&sts, &[]);

    // ALPN said h2: an HTTP/1.1 request is not answered as HTTP/1.1.
    let mut s = tls(&server, &[b"h2"]);
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let (got, _) = read_until_closed(&mut s, CLOSE_BOUND).expect("server closes");
    assert!(
        !got.starts_with(b"HTTP/1.1"),
        "answered HTTP/1.1 on an h2 connection: {:?}",
        String::from_utf8_lossy(&got)
    );

    // ALPN said http/1.1 (or nothing): the HTTP/2 preface is not served as HTTP/2.
    for alpn in [&[&b"http/1.1"[..]][..], &[]] {
        let mut s = tls(&server, alpn);
        s.write_all(H2_PREFACE).unwrap();
        s.write_all(&frame(SETTINGS, 0, 0, &[])).unwrap();
        let (got, _) = read_until_closed(&mut s, CLOSE_BOUND).expect("server closes");
        assert!(
            !starts_with_h2_settings(&got),
            "spoke HTTP/2 after ALPN {alpn:?}"
        );
    }

    // And each protocol works where ALPN chose it.
    let mut h2 = H2::connect(&server);
    assert!(h2.send(&get_healthz(1)));
    let start = Instant::now();
    while !h2.answered.contains(&1) && start.elapsed() < CLOSE_BOUND {
        assert!(
            h2.pump(Duration::from_millis(100)),
            "closed before answering"
        );
    }
    assert!(h2.answered.contains(&1), "no HTTP/2 answer");
    let mut s = tls(&server, &[b"http/1.1"]);
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let (got, _) = read_until_closed(&mut s, CLOSE_BOUND).expect("server closes");
    assert!(got.starts_with(b"HTTP/1.1 200"), "{got:?}");
}

#[test]
fn silent_and_half_open_connections_are_closed_after_tls() {
    let sts = StandIn::start();
    let server = short_server(&sts, &[]);
    let mut cases: Vec<(&str, Tls)> = vec![
        ("silent, ALPN h2", tls(&server, &[b"h2"])),
        ("silent, ALPN http/1.1", tls(&server, &[b"http/1.1"])),
        ("silent, no ALPN", tls(&server, &[])),
    ];
    let mut partial = tls(&server, &[b"h2"]);
    partial.write_all(&H2_PREFACE[..10]).unwrap();
    cases.push(("partial HTTP/2 preface", partial));
    let mut sniffed = tls(&server, &[]);
    sniffed.write_all(&H2_PREFACE[..10]).unwrap();
    cases.push(("partial HTTP/2 preface, no ALPN", sniffed));
    let mut partial_h1 = tls(&server, &[b"http/1.1"]);
    partial_h1
        .write_all(b"POST /authenticate HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    cases.push(("partial HTTP/1.1 headers", partial_h1));
    for (what, mut s) in cases {
        let closed = read_until_closed(&mut s, CLOSE_BOUND);
        assert!(closed.is_some(), "{what}: still open after {CLOSE_BOUND:?}");
    }
}

#[test]
fn idle_http2_answering_pings_gets_goaway_and_is_closed() {
    let sts = StandIn::start();
    let server = short_server(&sts, &[]);
    let mut h2 = H2::connect(&server);
    assert!(h2.send(&get_healthz(1)));
    let start = Instant::now();
    let mut open = true;
    while open && start.elapsed() < CLOSE_BOUND {
        open = h2.pump(Duration::from_millis(250));
        // The client keeps the connection alive as far as HTTP/2 goes.
        if open {
            open = h2.send(&frame(PING, 0, 0, &[7; 8]));
        }
    }
    assert!(h2.answered.contains(&1), "the request was answered");
    assert!(h2.goaway, "GOAWAY before the close");
    assert!(!open, "still open after {CLOSE_BOUND:?}");
}

#[test]
fn busy_http2_connection_is_closed_at_its_maximum_age() {
    let sts = StandIn::start();
    let server = short_server(&sts, &[]);
    let mut h2 = H2::connect(&server);
    let start = Instant::now();
    let mut stream = 1;
    let mut open = true;
    while open && !h2.goaway && start.elapsed() < CLOSE_BOUND {
        open = h2.send(&get_healthz(stream)) && h2.pump(Duration::from_millis(300));
        stream += 2;
    }
    assert!(h2.goaway, "no GOAWAY within {CLOSE_BOUND:?}");
    // Graceful: what was sent before the GOAWAY is answered, then the server closes.
    while open && start.elapsed() < CLOSE_BOUND * 2 {
        open = h2.pump(Duration::from_millis(250));
    }
    assert!(!open, "still open after GOAWAY");
    assert!(h2.answered.len() >= 2, "answered: {:?}", h2.answered);
}

#[test]
fn idle_connections_beyond_the_cap_do_not_starve_a_review() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let token = alice_token(&sts, home.path());
    let server = Webhook::start(
        &sts,
        ALICE_CONFIG,
        &[
            "--max-connections",
            "20",
            "--connection-first-request-timeout",
            "120s",
        ],
    );
    let pid = server.child.id();
    let before = fds(pid);
    let mut idle: Vec<Tls> = (0..60).map(|_| tls(&server, &[b"h2"])).collect();
    // The oldest idle connections gave way; the server holds no more than its cap.
    let (_, _) = common::webhook::within(CLOSE_BOUND, "fds back under the cap", || {
        (fds(pid) <= before + 20 + 2).then_some(())
    });
    let start = Instant::now();
    let (status, body) = server.review(&token);
    let took = start.elapsed();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"]["user"]["username"], "alice");
    assert!(took < CLOSE_BOUND, "review took {took:?}");
    // The newest idle connections are still served.
    let mut open = 0;
    for s in idle.iter_mut().rev().take(10) {
        if read_until_closed(s, Duration::from_millis(300)).is_none() {
            open += 1;
        }
    }
    assert!(
        open >= 5,
        "only {open} of the 10 newest idle connections open"
    );
}

#[test]
fn connection_limit_log_line_is_rate_limited() {
    let sts = StandIn::start();
    let server = Webhook::start(&sts, ALICE_CONFIG, &["--max-connections", "2"]);
    let conns: Vec<TcpStream> = (0..30)
        .map(|_| TcpStream::connect(("127.0.0.1", server.port)).unwrap())
        .collect();
    common::webhook::within(CLOSE_BOUND, "a connection limit line", || {
        server
            .logs()
            .contains("connection limit (2) reached")
            .then_some(())
    });
    std::thread::sleep(Duration::from_millis(500));
    let lines = server
        .logs()
        .lines()
        .filter(|l| l.contains("connection limit"))
        .count();
    // One line per 10 s; a slow machine may have crossed one interval.
    assert!(
        (1..=3).contains(&lines),
        "{lines} lines:\n{}",
        server.logs()
    );
    drop(conns);
}

#[test]
fn health_listener_has_its_own_cap_and_timeouts() {
    let sts = StandIn::start();
    let health = free_port();
    let server = Webhook::builder(&sts)
        .config(ALICE_CONFIG)
        .args([
            "--health-max-connections",
            "4",
            "--connection-first-request-timeout",
            "3s",
        ])
        .health_port(health)
        .start();
    let mut silent: Vec<TcpStream> = (0..10)
        .map(|_| {
            let s = TcpStream::connect(("127.0.0.1", health)).unwrap();
            s.set_read_timeout(Some(Duration::from_millis(200)))
                .unwrap();
            s
        })
        .collect();
    // Beyond the cap, a probe still gets through.
    let mut probe = TcpStream::connect(("127.0.0.1", health)).unwrap();
    probe
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    probe
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let (got, _) = read_until_closed(&mut probe, CLOSE_BOUND).expect("probe answered");
    assert!(got.starts_with(b"HTTP/1.1 200"), "{got:?}");
    // And silent connections do not stay.
    for s in &mut silent {
        assert!(
            read_until_closed(s, CLOSE_BOUND).is_some(),
            "silent health connection still open"
        );
    }
    assert!(
        server.logs().contains("connection limit (4) reached"),
        "{}",
        server.logs()
    );
}
