//! The ARN canonicaliser: no panic, and canonicalising is idempotent.
#![no_main]

use aws_iam_authenticator::arn::{account_id, arn_like, canonicalize, strip_path};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (arn, pattern) = text.split_once('\0').unwrap_or((text, "arn:aws:iam::*:role/*"));
    if let Ok(canonical) = canonicalize(arn) {
        assert_eq!(canonicalize(&canonical).as_deref(), Ok(canonical.as_str()));
        let _ = account_id(&canonical);
    }
    let _ = strip_path(arn);
    let _ = arn_like(arn, pattern);
});
