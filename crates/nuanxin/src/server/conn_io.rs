//! A connection's byte stream as hyper sees it, with two guards hyper does not have:
//!
//! - **Write stall timeout** (`write_timeout_s`): when the client stops accepting bytes (its
//!   receive window stays full: a client that never reads, or reads a byte now and then),
//!   a write that makes no progress for this long fails with `TimedOut`, hyper ends the
//!   connection and the response (its body, its buffers) is dropped. Any progress restarts
//!   the clock. TCP's silly-window avoidance (RFC 1122 §4.2.3.3) makes a trickling reader
//!   open its window only in segment-sized steps, so it stalls as long as a silent one.
//! - **Problem bodies for hyper's own errors**: hyper answers a request it cannot parse
//!   itself, before any handler, with a bodiless `400 Bad Request`, `414 URI Too Long`
//!   (request target over 65 534 bytes) or `431 Request Header Fields Too Large`. The head
//!   it writes (`connection: close`, `content-length: 0`) is replaced on the wire by the same
//!   status with an RFC 9457 problem+json body saying what to do, as every other error of
//!   the API has.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The stream `S` with a write stall timeout and problem bodies for hyper's parse errors
/// (see the module docs).
pub struct ConnIo<S> {
    inner: S,
    write_timeout: Duration,
    /// Armed when a write is blocked; fires `write_timeout` after, unless bytes move.
    stall: Option<Pin<Box<tokio::time::Sleep>>>,
    /// A replacement head and body being written in place of hyper's bodiless error head:
    /// the bytes, how many are written, and the length of hyper's head to report.
    replacing: Option<(Vec<u8>, usize, usize)>,
}

impl<S> ConnIo<S> {
    /// `inner` with writes that fail after `write_timeout` without progress.
    pub fn new(inner: S, write_timeout: Duration) -> Self {
        Self {
            inner,
            write_timeout,
            stall: None,
            replacing: None,
        }
    }

    /// A blocked write: `Pending` until the stall timer fires, then `TimedOut`.
    fn poll_stall<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let timeout = self.write_timeout;
        let stall = self
            .stall
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        ready!(stall.as_mut().poll(cx));
        self.stall = None;
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "the client accepted no bytes for {} s (write_timeout_s)",
                timeout.as_secs_f64()
            ),
        )))
    }
}

/// The replacement for `buf` when it starts with one of hyper's bodiless parse-error heads:
/// `(head and problem body, length of hyper's head in buf)`.
pub fn problem_for_hyper_error(buf: &[u8]) -> Option<(Vec<u8>, usize)> {
    const STATUSES: [(&[u8], u16, &str, &str); 3] = [
        (
            b"HTTP/1.1 414 ",
            414,
            "URI Too Long",
            "the request target is longer than 65534 bytes; send long input (search text, geometry, lists) in a POST body or shorten it",
        ),
        (
            b"HTTP/1.1 431 ",
            431,
            "Request Header Fields Too Large",
            "the request head (request line and headers) is larger than the server accepts; send fewer or shorter headers",
        ),
        (
            b"HTTP/1.1 400 ",
            400,
            "Bad Request",
            "the request is not valid HTTP/1.1 (request line, method, target or a header could not be parsed)",
        ),
    ];
    let (_, status, title, detail) = STATUSES.iter().find(|(p, ..)| buf.starts_with(p))?;
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buf[..end]).ok()?.to_ascii_lowercase();
    if !(head.contains("\r\nconnection: close\r\n") && head.contains("\r\ncontent-length: 0\r\n")) {
        return None;
    }
    let body = serde_json::to_vec(&super::error::Problem {
        type_: "about:blank".to_string(),
        title: title.to_string(),
        status: *status,
        detail: detail.to_string(),
        param: None,
        valid: None,
    })
    .ok()?;
    let mut out = format!(
        "HTTP/1.1 {status} {title}\r\nconnection: close\r\ncontent-type: {}\r\ncontent-length: {}\r\nx-content-type-options: nosniff\r\n\r\n",
        super::error::PROBLEM_JSON,
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    Some((out, end))
}

impl<S: AsyncRead + Unpin> AsyncRead for ConnIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> ConnIo<S> {
    /// Writes the pending replacement; `Ready(Ok(len of hyper's head))` once all is out.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        loop {
            let Some((bytes, done, reported)) = &mut self.replacing else {
                return Poll::Ready(Ok(0));
            };
            if *done == bytes.len() {
                let n = *reported;
                self.replacing = None;
                return Poll::Ready(Ok(n));
            }
            match Pin::new(&mut self.inner).poll_write(cx, &bytes[*done..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    *done += n;
                    self.stall = None;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return self.poll_stall(cx),
            }
        }
    }

    fn after_write(
        &mut self,
        cx: &mut Context<'_>,
        r: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match r {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    self.stall = None;
                }
                Poll::Ready(Ok(n))
            }
            Poll::Pending => self.poll_stall(cx),
            other => other,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ConnIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.replacing.is_none() {
            if let Some((bytes, head_len)) = problem_for_hyper_error(buf) {
                this.replacing = Some((bytes, 0, head_len));
            }
        }
        if this.replacing.is_some() {
            return this.poll_replacement(cx);
        }
        let r = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.after_write(cx, r)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.replacing.is_none() {
            let first = bufs.iter().find(|b| !b.is_empty());
            if let Some((bytes, head_len)) = first.and_then(|b| problem_for_hyper_error(b)) {
                this.replacing = Some((bytes, 0, head_len));
            }
        }
        if this.replacing.is_some() {
            return this.poll_replacement(cx);
        }
        let r = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.after_write(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Pending => this.poll_stall(cx),
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn hypers_bodiless_error_heads_get_a_problem_body() {
        let head = b"HTTP/1.1 414 URI Too Long\r\nconnection: close\r\ncontent-length: 0\r\ndate: Mon, 07 Dec 2026 06:53:20 GMT\r\n\r\n";
        let (out, n) = problem_for_hyper_error(head).unwrap();
        assert_eq!(n, head.len());
        let text = String::from_utf8(out).unwrap();
        let (h, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(h.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{h}");
        assert!(h.contains("content-type: application/problem+json"), "{h}");
        assert!(
            h.contains(&format!("content-length: {}", body.len())),
            "{h}"
        );
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["status"], 414);
        assert!(v["detail"].as_str().unwrap().contains("POST body"));
        // A response of the application (with a body, or keep-alive) is left alone.
        assert!(problem_for_hyper_error(
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: 90\r\n\r\n{}"
        )
        .is_none());
        assert!(problem_for_hyper_error(
            b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
        )
        .is_none());
    }

    #[tokio::test]
    async fn a_write_the_peer_never_accepts_times_out() {
        // A duplex pipe of 1 KiB whose other end never reads.
        let (a, _b) = tokio::io::duplex(1024);
        let mut io = ConnIo::new(a, Duration::from_millis(100));
        let big = vec![b'x'; 64 * 1024];
        let e = io.write_all(&big).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test]
    async fn a_slow_but_steady_reader_is_served_in_full() {
        let (a, mut b) = tokio::io::duplex(1024);
        let mut io = ConnIo::new(a, Duration::from_millis(300));
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut chunk = [0u8; 512];
            loop {
                tokio::time::sleep(Duration::from_millis(5)).await;
                match b.read(&mut chunk).await.unwrap() {
                    0 => break,
                    n => got.extend_from_slice(&chunk[..n]),
                }
            }
            got.len()
        });
        io.write_all(&vec![b'y'; 32 * 1024]).await.unwrap();
        io.shutdown().await.unwrap();
        drop(io);
        assert_eq!(reader.await.unwrap(), 32 * 1024);
    }
}
