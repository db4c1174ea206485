//! Loopback servers the tests of the send path talk to.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Serve {
    /// Keeps each connection open for the next request.
    KeepAlive,
    /// Closes each connection after one answer.
    Close,
    /// Sends the head and half the body, then nothing more.
    StallMidBody,
    /// Answers with an empty body.
    Empty,
}

/// A plain HTTP/1.1 server on loopback answering every request with `ok`, as `serve`
/// says. Counts the connections it accepts.
pub(crate) async fn answering(serve: Serve) -> (u16, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicU64::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while socket.read(&mut byte).await.unwrap_or(0) == 1 {
                    head.push(byte[0]);
                    if !head.ends_with(b"\r\n\r\n") {
                        continue;
                    }
                    head.clear();
                    let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                    let empty = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                    let answer = match serve {
                        Serve::StallMidBody => &answer[..answer.len() - 1],
                        Serve::Empty => &empty[..],
                        _ => &answer[..],
                    };
                    if socket.write_all(answer).await.is_err() || serve == Serve::Close {
                        return;
                    }
                    if serve == Serve::StallMidBody {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    }
                }
            });
        }
    });
    (port, accepted)
}

/// A server that takes requests and never answers; counts the bytes it was sent.
pub(crate) async fn silent() -> (u16, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(AtomicU64::new(0));
    let counter = received.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buffer = [0u8; 1024];
                while let Ok(n @ 1..) = socket.read(&mut buffer).await {
                    counter.fetch_add(n as u64, Ordering::Relaxed);
                }
            });
        }
    });
    (port, received)
}
