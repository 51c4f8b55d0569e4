//! `POST /authenticate` through the real router: the TokenReview decoder, the body
//! limits and the verifier. Every answer is a 4xx with a body; nothing panics.
#![no_main]

use aws_iam_authenticator::server::fuzzing::FuzzServer;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static SERVER: OnceLock<FuzzServer> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let server = SERVER.get_or_init(|| FuzzServer::new().expect("router"));
    let (status, body) = server.authenticate(data);
    assert!((400..500).contains(&status), "status {status}");
    assert!(!body.is_empty());
});
