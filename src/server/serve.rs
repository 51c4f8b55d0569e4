//! The listeners: the webhook over TLS and the plain-HTTP health port, each with its own
//! connection table.
//!
//! Upstream (Go `net/http`) bounds only the time to read request headers (60 s). Here a
//! slow or hostile client cannot hold a connection, or starve kube-apiserver of one:
//!
//! * The protocol comes from the TLS handshake's ALPN (`h2` → HTTP/2, anything else →
//!   HTTP/1.1), as Go does, never from sniffing the first bytes: hyper-util's auto
//!   builder waits for those bytes with no timer.
//! * A watchdog per connection closes it when no request arrives within
//!   [`Limits::first_request_timeout`] of the handshake, when it stays idle (no request
//!   in flight) for [`Limits::idle_timeout`], and when it is older than
//!   [`Limits::max_age`]. A connection that has served requests is closed gracefully
//!   (HTTP/2 `GOAWAY`, HTTP/1.1 after the current response), then forced after
//!   [`CLOSE_GRACE`]; one that never sent a request is simply dropped: there is nothing
//!   to finish, and a silent client would not read a `GOAWAY`. HTTP/2 pings do not count
//!   as activity; only requests do.
//! * Each listener keeps at most [`Limits::max_connections`] (health:
//!   [`Limits::health_max_connections`]) connections. At the cap a new connection evicts
//!   the connection idle the longest, preferring one that never sent a request, rather
//!   than being refused: idle connections cannot crowd out a review. Only when every
//!   connection has a request in flight is the new one closed. That event is logged at
//!   most once per [`LIMIT_LOG_INTERVAL`], with the count of the ones not logged.
//!
//! Besides, a TLS handshake timeout, hyper's HTTP/1 header-read timeout and, in
//! [`super::http`]'s TokenReview extractor, a body size cap and body-read timeout.
//! Shutdown is graceful: when the shutdown future resolves the listener closes, every
//! connection is asked to close, and in-flight requests get [`Limits::shutdown_grace`].

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// Limits applied to every connection.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Time allowed for the TLS handshake.
    pub handshake_timeout: Duration,
    /// Time allowed to send the request headers (HTTP/1), and the request body.
    pub header_read_timeout: Duration,
    /// Time from the end of the TLS handshake (the accept, on the health port) to the
    /// first request.
    pub first_request_timeout: Duration,
    /// A connection with no request in flight for this long is closed. At most
    /// upstream's 60 s `ReadHeaderTimeout`, the longest upstream lets a client wait.
    pub idle_timeout: Duration,
    /// A connection is closed gracefully once it is this old, however busy: a client
    /// cannot keep one HTTP/2 connection (and its buffers) for ever.
    pub max_age: Duration,
    /// Connections of the webhook listener; at the cap a new one evicts the longest-idle.
    pub max_connections: usize,
    /// Connections of the health listener, which only probes and scrapes use.
    pub health_max_connections: usize,
    /// Time in-flight requests get after a shutdown signal.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            first_request_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_age: Duration::from_secs(600),
            max_connections: 1024,
            health_max_connections: 64,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// How long a connection that has served requests, asked to close by the watchdog, may
/// take to finish its in-flight requests before it is dropped.
pub const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// The same for an evicted connection. Evicted connections no longer count against the
/// cap, so their grace is short: a flood of connections can only add its rate times
/// this to the open descriptors.
pub const EVICT_GRACE: Duration = Duration::from_secs(1);

/// At most one `connection limit reached` line per interval.
pub const LIMIT_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// HTTP/2 settings. A stream window of 64 KiB holds one maximal TokenReview body (the
/// extractor caps bodies at 64 KiB); the connection window bounds what one connection
/// can make the server buffer, whatever the number of streams (hyper's defaults are
/// 1 MiB each).
const H2_STREAM_WINDOW: u32 = 64 * 1024;
const H2_CONN_WINDOW: u32 = 256 * 1024;
const H2_MAX_STREAMS: u32 = 128;
const H2_MAX_SEND_BUF: usize = 64 * 1024;
/// HTTP/1 read buffer cap (hyper's default is about 400 KiB). Request headers must fit;
/// kube-apiserver's are well under 1 KiB. Bodies stream through it.
const H1_MAX_BUF: usize = 16 * 1024;

/// Serves `router` over TLS on `listener` until `shutdown` resolves.
pub async fn serve_tls(
    listener: TcpListener,
    tls: ServerConfig,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let cap = limits.max_connections;
    let acceptor = TlsAcceptor::from(Arc::new(tls));
    serve(
        listener,
        Listener::Tls(acceptor),
        router,
        limits,
        cap,
        "webhook",
        shutdown,
    )
    .await;
}

/// Serves `router` over plain HTTP/1.1 (the health port), until `shutdown` resolves.
pub async fn serve_plain(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let cap = limits.health_max_connections;
    serve(
        listener,
        Listener::Plain,
        router,
        limits,
        cap,
        "health",
        shutdown,
    )
    .await;
}

/// What a listener does with an accepted TCP connection before HTTP.
#[derive(Clone)]
enum Listener {
    Tls(TlsAcceptor),
    Plain,
}

async fn serve(
    listener: TcpListener,
    kind: Listener,
    router: Router,
    limits: Limits,
    cap: usize,
    name: &'static str,
    shutdown: impl Future<Output = ()>,
) {
    let table = Arc::new(Table::new(cap, name));
    let limits = Arc::new(limits);
    // Every connection task holds a receiver: `closed()` then says when all are done.
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(listener = name, "accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Some(slot) = table.admit(peer, Instant::now()) else {
            drop(tcp);
            continue;
        };
        let _ = tcp.set_nodelay(true);
        tokio::spawn(connection(
            tcp,
            peer,
            kind.clone(),
            slot,
            router.clone(),
            limits.clone(),
            stop_rx.clone(),
        ));
    }
    drop(listener);
    drop(stop_rx);
    let _ = stop_tx.send(true);
    if tokio::time::timeout(limits.shutdown_grace, stop_tx.closed())
        .await
        .is_err()
    {
        tracing::warn!(
            listener = name,
            "shutdown grace period elapsed with connections still open"
        );
    }
}

/// One connection from accept to close.
async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    kind: Listener,
    slot: Slot,
    router: Router,
    limits: Arc<Limits>,
    mut stop: watch::Receiver<bool>,
) {
    let conn = slot.conn.clone();
    match kind {
        Listener::Plain => {
            serve_http1(tcp, peer, &slot, router, &limits, &mut stop).await;
        }
        Listener::Tls(acceptor) => {
            let handshake = tokio::time::timeout(limits.handshake_timeout, acceptor.accept(tcp));
            let tls = tokio::select! {
                done = handshake => match done {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(e)) => {
                        tracing::debug!(%peer, "TLS handshake failed: {e}");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!(%peer, "TLS handshake timed out");
                        return;
                    }
                },
                _ = conn.evict.notified() => return,
                _ = stop.wait_for(|s| *s) => return,
            };
            let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
            if h2 {
                serve_http2(tls, peer, &slot, router, &limits, &mut stop).await;
            } else {
                serve_http1(tls, peer, &slot, router, &limits, &mut stop).await;
            }
        }
    }
}

async fn serve_http1<S>(
    io: S,
    peer: SocketAddr,
    slot: &Slot,
    router: Router,
    limits: &Limits,
    stop: &mut watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(H1_MAX_BUF)
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), slot.service(router));
    tokio::pin!(conn);
    let ended = watch_connection(conn.as_mut(), |c| c.graceful_shutdown(), slot, limits, stop);
    if let Err(e) = ended.await {
        tracing::debug!(%peer, "connection ended: {e}");
    }
}

async fn serve_http2<S>(
    io: S,
    peer: SocketAddr,
    slot: &Slot,
    router: Router,
    limits: &Limits,
    stop: &mut watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let conn = http2::Builder::new(TokioExecutor::new())
        .timer(TokioTimer::new())
        .max_concurrent_streams(H2_MAX_STREAMS)
        .initial_stream_window_size(H2_STREAM_WINDOW)
        .initial_connection_window_size(H2_CONN_WINDOW)
        .max_send_buf_size(H2_MAX_SEND_BUF)
        .keep_alive_interval(Some(Duration::from_secs(30)))
        .serve_connection(TokioIo::new(io), slot.service(router));
    tokio::pin!(conn);
    let ended = watch_connection(conn.as_mut(), |c| c.graceful_shutdown(), slot, limits, stop);
    if let Err(e) = ended.await {
        tracing::debug!(%peer, "connection ended: {e}");
    }
}

/// Why a connection was asked to close.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Close {
    FirstRequest,
    Idle,
    MaxAge,
    Evicted,
    Shutdown,
}

/// Drives `conn` until it ends or must close; then asks it to close (`graceful`) and
/// gives it [`CLOSE_GRACE`] ([`EVICT_GRACE`] when evicted, [`Limits::shutdown_grace`] on
/// shutdown) before dropping it. A connection that never sent a request is dropped at once.
async fn watch_connection<F>(
    mut conn: Pin<&mut F>,
    graceful: fn(Pin<&mut F>),
    slot: &Slot,
    limits: &Limits,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), hyper::Error>
where
    F: Future<Output = Result<(), hyper::Error>>,
{
    let ready = Instant::now();
    let reason = loop {
        let (deadline, _) = slot.next_deadline(ready, limits, Instant::now());
        tokio::select! {
            ended = conn.as_mut() => return ended,
            _ = tokio::time::sleep_until(deadline.into()) => {
                if let (_, Some(reason)) = slot.next_deadline(ready, limits, Instant::now()) {
                    break reason;
                }
            }
            _ = slot.conn.evict.notified() => break Close::Evicted,
            _ = stop.wait_for(|s| *s) => break Close::Shutdown,
        }
    };
    tracing::debug!(peer = %slot.conn.peer, ?reason, "closing connection");
    if slot.conn.requests.load(Ordering::Acquire) == 0 {
        return Ok(());
    }
    graceful(conn.as_mut());
    let grace = match reason {
        Close::Shutdown => limits.shutdown_grace,
        Close::Evicted => EVICT_GRACE,
        Close::FirstRequest | Close::Idle | Close::MaxAge => CLOSE_GRACE,
    };
    tokio::time::timeout(grace, conn).await.unwrap_or(Ok(()))
}

/// What the table and the watchdog know of one connection.
struct Conn {
    id: u64,
    peer: SocketAddr,
    /// Milliseconds from the table's epoch to the accept or the last request start/end.
    last_active_ms: AtomicU64,
    /// Requests started so far.
    requests: AtomicU64,
    /// Requests whose response is not yet produced.
    in_flight: AtomicUsize,
    /// Asks the connection to close (it was evicted).
    evict: Notify,
}

/// One listener's connections.
struct Table {
    cap: usize,
    name: &'static str,
    epoch: Instant,
    next_id: AtomicU64,
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    limit_log: RateLimited,
}

impl Table {
    fn new(cap: usize, name: &'static str) -> Self {
        Table {
            cap: cap.max(1),
            name,
            epoch: Instant::now(),
            next_id: AtomicU64::new(0),
            conns: Mutex::new(HashMap::new()),
            limit_log: RateLimited::new(LIMIT_LOG_INTERVAL),
        }
    }

    fn millis(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.epoch).as_millis() as u64
    }

    /// Registers a new connection. At the cap, evicts the connection idle the longest
    /// (one that never sent a request first); when every connection is busy, refuses.
    fn admit(self: &Arc<Self>, peer: SocketAddr, now: Instant) -> Option<Slot> {
        let mut conns = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        if conns.len() >= self.cap {
            let victim = conns
                .values()
                .filter(|c| c.in_flight.load(Ordering::Acquire) == 0)
                .min_by_key(|c| {
                    (
                        c.requests.load(Ordering::Relaxed) > 0,
                        c.last_active_ms.load(Ordering::Relaxed),
                    )
                })
                .cloned();
            let evicted = victim.map(|v| {
                conns.remove(&v.id);
                v.evict.notify_one();
                v.peer
            });
            if let Some(suppressed) = self.limit_log.check(now) {
                match evicted {
                    Some(victim) => tracing::warn!(
                        listener = self.name,
                        %peer,
                        %victim,
                        suppressed,
                        "connection limit ({}) reached; closing the longest-idle connection",
                        self.cap
                    ),
                    None => tracing::warn!(
                        listener = self.name,
                        %peer,
                        suppressed,
                        "connection limit ({}) reached and every connection is busy; closing the new one",
                        self.cap
                    ),
                }
            }
            evicted?;
        }
        let conn = Arc::new(Conn {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            peer,
            last_active_ms: AtomicU64::new(self.millis(now)),
            requests: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            evict: Notify::new(),
        });
        conns.insert(conn.id, conn.clone());
        Some(Slot {
            table: self.clone(),
            conn,
        })
    }
}

/// A connection's entry in its table, removed when the connection task ends.
struct Slot {
    table: Arc<Table>,
    conn: Arc<Conn>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut conns = self.table.conns.lock().unwrap_or_else(|e| e.into_inner());
        conns.remove(&self.conn.id);
    }
}

impl Slot {
    /// `router` as a hyper service that tells the watchdog when requests start and end
    /// and hands the handlers the peer's address.
    fn service(
        &self,
        router: Router,
    ) -> impl hyper::service::Service<
        hyper::Request<Incoming>,
        Response = axum::response::Response,
        Error = std::convert::Infallible,
        Future = impl Future<Output = Result<axum::response::Response, std::convert::Infallible>>
                 + Send
                 + 'static,
    > + Clone
    + Send
    + 'static {
        // The peer address, for the `client` field of the request's log lines.
        let router = router.layer(axum::Extension(axum::extract::ConnectInfo(self.conn.peer)));
        let table = self.table.clone();
        let conn = self.conn.clone();
        hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let active = InFlight::start(table.clone(), conn.clone());
            let response = router.clone().oneshot(req);
            async move {
                let response = response.await;
                drop(active);
                response
            }
        })
    }

    /// When the watchdog must look again, and why the connection must close now if it
    /// must.
    fn next_deadline(
        &self,
        ready: Instant,
        limits: &Limits,
        now: Instant,
    ) -> (Instant, Option<Close>) {
        let aged = ready + limits.max_age;
        if now >= aged {
            return (aged, Some(Close::MaxAge));
        }
        let (idle_until, why) = if self.conn.requests.load(Ordering::Acquire) == 0 {
            (ready + limits.first_request_timeout, Close::FirstRequest)
        } else if self.conn.in_flight.load(Ordering::Acquire) > 0 {
            // Busy: look again after a full idle period.
            (now + limits.idle_timeout, Close::Idle)
        } else {
            let last = self.table.epoch
                + Duration::from_millis(self.conn.last_active_ms.load(Ordering::Acquire));
            (last + limits.idle_timeout, Close::Idle)
        };
        if now >= idle_until && self.conn.in_flight.load(Ordering::Acquire) == 0 {
            return (idle_until, Some(why));
        }
        (idle_until.min(aged), None)
    }
}

/// A request in flight on a connection, from its headers to its response.
struct InFlight {
    table: Arc<Table>,
    conn: Arc<Conn>,
}

impl InFlight {
    fn start(table: Arc<Table>, conn: Arc<Conn>) -> Self {
        conn.in_flight.fetch_add(1, Ordering::AcqRel);
        conn.requests.fetch_add(1, Ordering::AcqRel);
        conn.last_active_ms
            .store(table.millis(Instant::now()), Ordering::Release);
        InFlight { table, conn }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.conn
            .last_active_ms
            .store(self.table.millis(Instant::now()), Ordering::Release);
        self.conn.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Lets an event through at most once per interval and counts the ones held back, so a
/// flood of connections cannot flood the log.
struct RateLimited {
    interval: Duration,
    state: Mutex<(Option<Instant>, u64)>,
}

impl RateLimited {
    fn new(interval: Duration) -> Self {
        RateLimited {
            interval,
            state: Mutex::new((None, 0)),
        }
    }

    /// `Some(n)` when the event at `now` should be logged, `n` being the events held back
    /// since the last one logged; `None` when it is held back.
    fn check(&self, now: Instant) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (last, suppressed) = &mut *state;
        match last {
            Some(at) if now.saturating_duration_since(*at) < self.interval => {
                *suppressed += 1;
                None
            }
            _ => {
                *last = Some(now);
                Some(std::mem::take(suppressed))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn rate_limited_lets_one_event_per_interval_through_with_the_held_back_count() {
        let log = RateLimited::new(Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(log.check(t0), Some(0));
        for i in 1..=5 {
            assert_eq!(log.check(t0 + Duration::from_secs(i)), None);
        }
        assert_eq!(log.check(t0 + Duration::from_secs(10)), Some(5));
        assert_eq!(log.check(t0 + Duration::from_secs(11)), None);
        assert_eq!(log.check(t0 + Duration::from_secs(30)), Some(1));
    }

    #[tokio::test]
    async fn at_the_cap_the_longest_idle_connection_is_evicted_never_a_busy_one() {
        let table = Arc::new(Table::new(3, "test"));
        let t0 = Instant::now();
        let a = table.admit(peer(1), t0).unwrap();
        let b = table.admit(peer(2), t0 + Duration::from_millis(5)).unwrap();
        let c = table
            .admit(peer(3), t0 + Duration::from_millis(10))
            .unwrap();
        // `a` is busy, `b` has served a request, `c` never sent one: `c` goes first.
        let _busy = InFlight::start(table.clone(), a.conn.clone());
        drop(InFlight::start(table.clone(), b.conn.clone()));
        let d = table
            .admit(peer(4), t0 + Duration::from_millis(20))
            .unwrap();
        assert!(!table.conns.lock().unwrap().contains_key(&c.conn.id));
        // Next the idle one that has served (`d` never sent a request, so it goes first).
        let e = table
            .admit(peer(5), t0 + Duration::from_millis(30))
            .unwrap();
        assert!(!table.conns.lock().unwrap().contains_key(&d.conn.id));
        let _busy_e = InFlight::start(table.clone(), e.conn.clone());
        let f = table
            .admit(peer(6), t0 + Duration::from_millis(40))
            .unwrap();
        assert!(!table.conns.lock().unwrap().contains_key(&b.conn.id));
        assert!(table.conns.lock().unwrap().contains_key(&a.conn.id));
        // Only busy connections and the newest: the newest idle one goes, then refusal.
        let _busy_f = InFlight::start(table.clone(), f.conn.clone());
        assert!(
            table
                .admit(peer(7), t0 + Duration::from_millis(50))
                .is_none()
        );
        assert_eq!(table.conns.lock().unwrap().len(), 3);
    }

    #[test]
    fn watchdog_deadlines_follow_first_request_idle_and_age() {
        let table = Arc::new(Table::new(8, "test"));
        let limits = Limits {
            first_request_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_age: Duration::from_secs(600),
            ..Limits::default()
        };
        let t0 = Instant::now();
        let slot = table.admit(peer(1), t0).unwrap();
        let s = Duration::from_secs;
        assert_eq!(slot.next_deadline(t0, &limits, t0), (t0 + s(10), None));
        assert_eq!(
            slot.next_deadline(t0, &limits, t0 + s(10)).1,
            Some(Close::FirstRequest)
        );
        let request = InFlight::start(table.clone(), slot.conn.clone());
        // Busy connections are never idle, only aged.
        assert_eq!(slot.next_deadline(t0, &limits, t0 + s(200)).1, None);
        assert_eq!(
            slot.next_deadline(t0, &limits, t0 + s(600)).1,
            Some(Close::MaxAge)
        );
        drop(request);
        let (until, why) = slot.next_deadline(t0, &limits, Instant::now());
        assert!(why.is_none() && until > t0 + s(59));
        assert_eq!(slot.next_deadline(t0, &limits, until).1, Some(Close::Idle));
    }
}
