//! A request's body, taken from the guest before the request goes out: capped, held against
//! the tenant's budget, and written within the timeout; a refused request's body is read and
//! dropped.

use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::Bytes;
use wasmtime_wasi_http::{Error as HttpError, WasiBody};

use crate::budget::Slot;

/// Takes a request body from the guest: at most `cap` bytes kept, the rest read and dropped
/// (so the guest finishes writing and sees the error on its response), all within `within`.
/// What is kept is held in `slot`, against the tenant's budget: past it, the rest is read and
/// dropped too, and the request fails.
pub(crate) async fn take_body(
    mut body: WasiBody,
    cap: u64,
    slot: &mut Slot,
    within: Duration,
) -> Result<Bytes, HttpError> {
    let read = async {
        let mut kept = Vec::new();
        let mut total: u64 = 0;
        let mut over_budget = false;
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame?.into_data() {
                total = total.saturating_add(data.len() as u64);
                over_budget = over_budget || !slot.hold(data.len() as u64);
                if total <= cap && !over_budget {
                    kept.extend_from_slice(&data);
                } else {
                    kept = Vec::new();
                }
            }
        }
        if total > cap || over_budget {
            return Err(HttpError::HttpRequestBodySize(Some(total)));
        }
        Ok(Bytes::from(kept))
    };
    tokio::time::timeout(within, read)
        .await
        .map_err(|_| HttpError::ConnectionWriteTimeout)?
}

/// Whatever the guest still writes of a refused request's body, read and dropped.
pub(crate) async fn drain(body: WasiBody, within: Duration) {
    let _ = tokio::time::timeout(within, body.collect()).await;
}

#[cfg(test)]
mod tests {
    use http_body_util::Full;

    use super::*;
    use crate::budget::Budget;

    fn body(bytes: usize) -> WasiBody {
        Full::new(Bytes::from(vec![b'x'; bytes]))
            .map_err(|never| match never {})
            .boxed_unsync()
    }

    #[tokio::test]
    async fn request_bodies_are_capped() {
        let within = Duration::from_secs(5);
        let kept = take_body(body(1000), 1000, &mut Slot::roomy(), within)
            .await
            .unwrap();
        assert_eq!(kept.len(), 1000);
        let error = take_body(body(1001), 1000, &mut Slot::roomy(), within)
            .await
            .unwrap_err();
        assert!(
            matches!(error, HttpError::HttpRequestBodySize(Some(1001))),
            "{error:?}"
        );
    }

    /// The bodies of one tenant's requests share its budget: a body that would pass it
    /// fails, and the bytes come back once the first request's are given back.
    #[tokio::test]
    async fn request_bodies_together_stay_within_the_tenants_budget() {
        let within = Duration::from_secs(5);
        let budget = Budget::new(4, 1500);
        let mut first = budget.admit().unwrap();
        take_body(body(1000), 4096, &mut first, within)
            .await
            .unwrap();
        let mut second = budget.admit().unwrap();
        let error = take_body(body(600), 4096, &mut second, within)
            .await
            .unwrap_err();
        assert!(
            matches!(error, HttpError::HttpRequestBodySize(_)),
            "{error:?}"
        );
        assert_eq!(budget.buffered(), 1000, "the refused body holds nothing");
        first.release_bytes();
        take_body(body(600), 4096, &mut second, within)
            .await
            .unwrap();
        assert_eq!(budget.buffered(), 600);
        drop((first, second));
        assert_eq!((budget.in_flight(), budget.buffered()), (0, 0));
    }
}
