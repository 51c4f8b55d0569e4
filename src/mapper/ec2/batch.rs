//! Batching: IDs queued by the front go out together after a short window (or at
//! once when a batch is full), each batch is one rate-limited, timed call, and EC2's
//! habit of refusing a whole call for one unknown ID is undone by asking again without
//! the IDs its error names (or one by one when it names none).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::HashMap;
use std::sync::Arc;

use tokio::time::Instant;

use super::{CallError, Core, LookupError, MALFORMED, NOT_FOUND};

impl Core {
    /// Waits out the batch window, then sends whatever is pending.
    pub(super) async fn send_after_window(self: Arc<Self>) {
        tokio::time::sleep(self.settings.batch_window).await;
        let batch = {
            let mut state = self.lock();
            state.flush_scheduled = false;
            std::mem::take(&mut state.pending)
        };
        if !batch.is_empty() {
            self.send_batch(batch).await;
        }
    }

    /// Resolves `batch` (in calls of at most `max_batch` IDs), caches the names found
    /// and answers everyone waiting for those IDs.
    pub(super) async fn send_batch(self: Arc<Self>, batch: Vec<String>) {
        for chunk in batch.chunks(self.settings.max_batch.max(1)) {
            let results = self.resolve(chunk).await;
            let mut state = self.lock();
            for (id, result) in results {
                if let Ok(name) = &result {
                    state.cache.insert(&id, name, Instant::now());
                }
                for waiter in state.waiting.remove(&id).unwrap_or_default() {
                    // A waiter that went away (client disconnected) is fine to skip.
                    let _ = waiter.send(result.clone());
                }
            }
        }
    }

    /// One rate-limited, counted call.
    async fn call(&self, ids: &[String]) -> Result<HashMap<String, String>, CallError> {
        self.limiter.acquire().await;
        if let Some(observe) = &self.on_call {
            observe();
        }
        tracing::debug!(count = ids.len(), "EC2 DescribeInstances");
        let timeout = self.settings.call_timeout;
        tokio::time::timeout(timeout, self.backend.describe(ids))
            .await
            .unwrap_or(Err(CallError::Timeout(timeout)))
    }

    /// Answers every ID of `ids`, keeping unknown IDs from failing the others.
    async fn resolve(&self, ids: &[String]) -> Vec<(String, Result<String, LookupError>)> {
        let mut results = Vec::with_capacity(ids.len());
        let mut remaining: Vec<String> = ids.to_vec();
        while !remaining.is_empty() {
            match self.call(&remaining).await {
                Ok(found) => {
                    for id in remaining.drain(..) {
                        let answer = found_name(&found, &id);
                        results.push((id, answer));
                    }
                }
                Err(e) if remaining.len() == 1 => {
                    for id in remaining.drain(..) {
                        let answer = failure(&id, &e);
                        results.push((id, answer));
                    }
                }
                Err(e) if is_bad_id_error(&e) => {
                    let named = named_ids(&e, &remaining);
                    if named.is_empty() {
                        // EC2 did not say which ID it objects to: ask one by one.
                        for id in remaining.drain(..) {
                            let answer = self.resolve_one(&id).await;
                            results.push((id, answer));
                        }
                    } else {
                        remaining.retain(|id| !named.contains(id));
                        for id in named {
                            let answer = failure(&id, &e);
                            results.push((id, answer));
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, count = remaining.len(), "EC2 DescribeInstances failed");
                    for id in remaining.drain(..) {
                        let answer = failure(&id, &e);
                        results.push((id, answer));
                    }
                }
            }
        }
        results
    }

    async fn resolve_one(&self, id: &str) -> Result<String, LookupError> {
        match self.call(std::slice::from_ref(&id.to_string())).await {
            Ok(found) => found_name(&found, id),
            Err(e) => failure(id, &e),
        }
    }
}

fn found_name(found: &HashMap<String, String>, id: &str) -> Result<String, LookupError> {
    match found.get(id) {
        // An instance without a private DNS name (no VPC DNS hostnames) cannot be
        // mapped; upstream would render `system:node:` with an empty name.
        Some(name) if !name.is_empty() => Ok(name.clone()),
        _ => Err(LookupError::NotFound {
            instance_id: id.to_string(),
        }),
    }
}

fn failure(id: &str, error: &CallError) -> Result<String, LookupError> {
    Err(if error.code() == Some(NOT_FOUND) {
        LookupError::NotFound {
            instance_id: id.to_string(),
        }
    } else {
        LookupError::Query {
            instance_id: id.to_string(),
            message: error.to_string(),
        }
    })
}

fn is_bad_id_error(error: &CallError) -> bool {
    matches!(error.code(), Some(NOT_FOUND | MALFORMED))
}

/// The IDs of `candidates` that an EC2 error message names. EC2 writes them as
/// `The instance ID 'i-1' does not exist`, `The instance IDs 'i-1, i-2' do not exist`
/// or `Invalid id: "i-1"`; every `i-…` word is taken, and only known candidates kept.
fn named_ids(error: &CallError, candidates: &[String]) -> Vec<String> {
    let CallError::Api { message, .. } = error else {
        return Vec::new();
    };
    let mut named = Vec::new();
    for word in message.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')) {
        if word.starts_with("i-")
            && candidates.iter().any(|c| c == word)
            && !named.iter().any(|n: &String| n == word)
        {
            named.push(word.to_string());
        }
    }
    named
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn not_found_messages_name_the_ids() {
        let error = CallError::Api {
            status: 400,
            code: NOT_FOUND.into(),
            message: "The instance IDs 'i-0123456789abcdef0, i-0123456789abcdef1' do not exist"
                .into(),
            request_id: "ea966190-f9aa-478e-9ede-example".into(),
        };
        let candidates = vec![
            "i-0123456789abcdef1".to_string(),
            "i-0123456789abcdef0".to_string(),
            "i-00000000".to_string(),
        ];
        assert_eq!(
            named_ids(&error, &candidates),
            vec!["i-0123456789abcdef0", "i-0123456789abcdef1"]
        );
    }

    #[test]
    fn malformed_id_messages_name_the_id() {
        let error = CallError::Api {
            status: 400,
            code: MALFORMED.into(),
            message: "Invalid id: \"i-abc_defg\"".into(),
            request_id: String::new(),
        };
        assert!(is_bad_id_error(&error));
        assert_eq!(
            named_ids(
                &error,
                &["i-abc_defg".to_string(), "i-12345678".to_string()]
            ),
            vec!["i-abc_defg"]
        );
    }
}
