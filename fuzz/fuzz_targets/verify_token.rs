//! The verifier's whole pre-STS path (`Verifier::check`): no panic on any input, and
//! every accepted token is the one canonical spelling of the URL it carries.
#![no_main]

use aws_iam_authenticator::partition::Partition;
use aws_iam_authenticator::token::HostPolicy;
use aws_iam_authenticator::token::Verifier;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use time::OffsetDateTime;

static VERIFIER: OnceLock<Verifier> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let verifier = VERIFIER
        .get_or_init(|| Verifier::new(HostPolicy::new(Partition::Aws, Some("us-west-2".into()))));
    // A fixed clock, matching the seeds' X-Amz-Date, so dated inputs can pass.
    let now = OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap();
    for candidate in [token.to_string(), format!("k8s-aws-v1.{token}")] {
        if let Ok(request) = verifier.check(&candidate, now) {
            let again = format!(
                "k8s-aws-v1.{}",
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&request.url)
            );
            assert_eq!(again, candidate, "accepted a non-canonical spelling");
            assert!(request.url.starts_with(&format!("https://{}/?", request.host)));
            assert!(!request.host.is_empty());
        }
    }
});
