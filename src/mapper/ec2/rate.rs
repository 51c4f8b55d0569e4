//! The rate limit on DescribeInstances calls (`--ec2-describeInstances-qps` /
//! `-burst`): a token bucket every call waits on.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// A token bucket: `burst` calls at once, then `qps` per second.
pub(super) struct TokenBucket {
    rate: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    pub(super) fn new(qps: u32, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        TokenBucket {
            rate: f64::from(qps),
            burst,
            state: Mutex::new((burst, Instant::now())),
        }
    }

    pub(super) async fn acquire(&self) {
        if self.rate <= 0.0 {
            return;
        }
        loop {
            let wait = {
                let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                let now = Instant::now();
                let (tokens, last) = *state;
                let tokens =
                    (tokens + now.duration_since(last).as_secs_f64() * self.rate).min(self.burst);
                if tokens >= 1.0 {
                    *state = (tokens - 1.0, now);
                    return;
                }
                *state = (tokens, now);
                Duration::from_secs_f64((1.0 - tokens) / self.rate)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn token_bucket_without_a_rate_never_waits() {
        let bucket = TokenBucket::new(0, 0);
        let started = std::time::Instant::now();
        for _ in 0..1000 {
            bucket.acquire().await;
        }
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
