//! One HTTP/1.1 keep-alive client connection, reconnecting when the server closes it: moto's
//! werkzeug answers HTTP/1.0 and closes after every response, and a load generator must
//! measure that cost rather than fail on it.
//!
//! A minimal client on purpose: the generator shares the machine with the server it measures,
//! and hyper's client (a connection task fed through a channel, a header map per request) cost
//! it about as much CPU as the server spent answering. Here one task writes the pre-serialized
//! request (`crate::template::Outgoing`) and parses the answer in place (`httparse`):
//! Content-Length, chunked, or close-delimited bodies.

use crate::template::Outgoing;
use bytes::{Buf, Bytes, BytesMut};
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How much of an error response body is kept for the report.
const SAMPLE_BYTES: usize = 300;
/// Larger response heads are refused (ours are a few hundred bytes).
const MAX_HEAD: usize = 64 * 1024;
const MAX_HEADERS: usize = 64;

pub struct Conn {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    /// Bytes read and not yet consumed.
    buf: BytesMut,
}

/// What came back: the status, and the body when it was asked for (or an error sample).
pub struct Reply {
    pub status: u16,
    pub body: Bytes,
}

/// How the body of a response is delimited.
#[derive(Debug, PartialEq)]
enum Framing {
    Length(usize),
    Chunked,
    UntilClose,
}

/// A parsed response head.
#[derive(Debug, PartialEq)]
struct Head {
    status: u16,
    framing: Framing,
    /// The server closes the connection after this response.
    close: bool,
    len: usize,
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Conn {
        Conn {
            addr,
            stream: None,
            buf: BytesMut::with_capacity(16 * 1024),
        }
    }

    /// Sends one request and reads the whole response. The body is kept when `keep_body` is
    /// set or the status is not 2xx (its first bytes then explain the error); otherwise it is
    /// read and dropped.
    pub async fn send(&mut self, req: Outgoing, keep_body: bool) -> Result<Reply, String> {
        let result = self.exchange(req, keep_body).await;
        if result.is_err() {
            self.stream = None;
        }
        result
    }

    async fn exchange(&mut self, req: Outgoing, keep_body: bool) -> Result<Reply, String> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(self.addr)
                .await
                .map_err(|e| format!("connect {}: {e}", self.addr))?;
            let _ = stream.set_nodelay(true);
            self.stream = Some(stream);
            self.buf.clear();
        }
        let Some(stream) = self.stream.as_mut() else {
            return Err("no connection".to_owned());
        };
        stream
            .write_all(&req.bytes)
            .await
            .map_err(|e| format!("send: {e}"))?;
        let head = loop {
            if let Some(head) = parse_head(&self.buf)? {
                break head;
            }
            if self.buf.len() > MAX_HEAD {
                return Err("response head too large".to_owned());
            }
            fill(stream, &mut self.buf, "the response head").await?;
        };
        self.buf.advance(head.len);
        let keep = keep_body || !(200..300).contains(&head.status);
        let limit = if keep_body { usize::MAX } else { SAMPLE_BYTES };
        let mut kept = BytesMut::new();
        let mut take = |buf: &mut BytesMut, n: usize| {
            let chunk = buf.split_to(n);
            if keep && kept.len() < limit {
                let room = (limit - kept.len()).min(chunk.len());
                kept.extend_from_slice(&chunk[..room]);
            }
        };
        let mut close = head.close;
        match head.framing {
            Framing::Length(n) => {
                while self.buf.len() < n {
                    fill(stream, &mut self.buf, "the body").await?;
                }
                take(&mut self.buf, n);
            }
            Framing::Chunked => loop {
                let size = loop {
                    if let Some((size, line)) = chunk_size(&self.buf)? {
                        self.buf.advance(line);
                        break size;
                    }
                    fill(stream, &mut self.buf, "a chunk size").await?;
                };
                if size == 0 {
                    // Trailers (none expected), then the empty line.
                    loop {
                        if let Some(end) = find_crlf(&self.buf) {
                            self.buf.advance(end + 2);
                            if end == 0 {
                                break;
                            }
                        } else {
                            fill(stream, &mut self.buf, "the trailers").await?;
                        }
                    }
                    break;
                }
                while self.buf.len() < size + 2 {
                    fill(stream, &mut self.buf, "a chunk").await?;
                }
                take(&mut self.buf, size);
                if &self.buf[..2] != b"\r\n" {
                    return Err("chunk not followed by CRLF".to_owned());
                }
                self.buf.advance(2);
            },
            Framing::UntilClose => {
                loop {
                    let n = self.buf.len();
                    take(&mut self.buf, n);
                    let read = stream
                        .read_buf(&mut self.buf)
                        .await
                        .map_err(|e| format!("body: {e}"))?;
                    if read == 0 {
                        break;
                    }
                }
                close = true;
            }
        }
        if close {
            self.stream = None;
        }
        Ok(Reply {
            status: head.status,
            body: kept.freeze(),
        })
    }
}

/// Reads more into `buf`; the peer closing first is an error.
async fn fill(stream: &mut TcpStream, buf: &mut BytesMut, what: &str) -> Result<(), String> {
    if buf.capacity() - buf.len() < 4096 {
        buf.reserve(16 * 1024);
    }
    let n = stream
        .read_buf(buf)
        .await
        .map_err(|e| format!("reading {what}: {e}"))?;
    if n == 0 {
        return Err(format!("connection closed while reading {what}"));
    }
    Ok(())
}

/// The response head at the start of `buf`, once it is all there.
fn parse_head(buf: &[u8]) -> Result<Option<Head>, String> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    let len = match resp.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(format!("bad response head: {e}")),
    };
    let status = resp.code.unwrap_or(0);
    let mut close = resp.version == Some(0);
    let (mut length, mut chunked) = (None, false);
    for h in resp.headers.iter() {
        let value = std::str::from_utf8(h.value).unwrap_or("").trim();
        if h.name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| format!("bad content-length {value:?}"))?,
            );
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        } else if h.name.eq_ignore_ascii_case("connection") {
            let v = value.to_ascii_lowercase();
            if v.contains("close") {
                close = true;
            } else if v.contains("keep-alive") {
                close = false;
            }
        }
    }
    let framing = if status == 204 || status == 304 || (100..200).contains(&status) {
        Framing::Length(0)
    } else if chunked {
        Framing::Chunked
    } else if let Some(n) = length {
        Framing::Length(n)
    } else {
        Framing::UntilClose
    };
    Ok(Some(Head {
        status,
        framing,
        close,
        len,
    }))
}

fn find_crlf(buf: &[u8]) -> Option<usize> {
    buf.windows(2).position(|w| w == b"\r\n")
}

/// A chunk-size line at the start of `buf`: (size, length of the line with its CRLF).
fn chunk_size(buf: &[u8]) -> Result<Option<(usize, usize)>, String> {
    let Some(end) = find_crlf(buf) else {
        return if buf.len() > 1024 {
            Err("chunk size line too long".to_owned())
        } else {
            Ok(None)
        };
    };
    let line = std::str::from_utf8(&buf[..end]).map_err(|_| "bad chunk size".to_owned())?;
    let hex = line.split(';').next().unwrap_or("").trim();
    let size = usize::from_str_radix(hex, 16).map_err(|_| format!("bad chunk size {hex:?}"))?;
    Ok(Some((size, end + 2)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    fn head(text: &str) -> Head {
        parse_head(text.as_bytes()).unwrap().unwrap()
    }

    #[test]
    fn heads_say_how_the_body_ends_and_whether_the_connection_stays() {
        let h = head("HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\nbody");
        assert_eq!(
            (h.status, h.framing, h.close, h.len),
            (200, Framing::Length(12), false, 39)
        );
        let h = head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        assert_eq!((h.framing, h.close), (Framing::Chunked, true));
        let h = head("HTTP/1.0 403 FORBIDDEN\r\nContent-Length: 3\r\n\r\n");
        assert_eq!((h.status, h.close), (403, true));
        let h = head("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n");
        assert_eq!((h.framing, h.close), (Framing::UntilClose, false));
        assert_eq!(
            head("HTTP/1.1 204 No Content\r\n\r\n").framing,
            Framing::Length(0)
        );
        assert!(parse_head(b"HTTP/1.1 200 OK\r\ncontent-le")
            .unwrap()
            .is_none());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n").is_err());
        assert!(parse_head(b"garbage\r\n\r\n").is_err());
        assert_eq!(chunk_size(b"1a;ext=1\r\n").unwrap(), Some((26, 10)));
        assert!(chunk_size(b"zz\r\n").is_err());
    }

    /// A server answering each request with a canned response, in pieces.
    async fn serve(responses: Vec<&'static [u8]>) -> SocketAddr {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            let mut responses = responses.into_iter();
            while let Ok((mut s, _)) = l.accept().await {
                let mut buf = [0u8; 4096];
                for r in responses.by_ref() {
                    if s.read(&mut buf).await.unwrap_or(0) == 0 {
                        break;
                    }
                    for piece in r.chunks(7) {
                        s.write_all(piece).await.unwrap();
                        s.flush().await.unwrap();
                    }
                    if r.starts_with(b"HTTP/1.0") {
                        break;
                    }
                }
            }
        });
        addr
    }

    fn req() -> Outgoing {
        Outgoing {
            bytes: Bytes::from_static(b"GET / HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n"),
        }
    }

    #[tokio::test]
    async fn bodies_are_read_whole_over_one_connection_or_a_new_one_after_close() {
        let addr = serve(vec![
            b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello",
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            b"HTTP/1.0 404 NOT FOUND\r\ncontent-type: text/plain\r\n\r\nmissing",
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
        ])
        .await;
        let mut c = Conn::new(addr);
        let r = c.send(req(), true).await.unwrap();
        assert_eq!((r.status, &r.body[..]), (200, &b"hello"[..]));
        let r = c.send(req(), true).await.unwrap();
        assert_eq!(&r.body[..], b"abcde");
        // Not kept unless asked, except a sample of an error.
        let r = c.send(req(), false).await.unwrap();
        assert_eq!((r.status, &r.body[..]), (404, &b"missing"[..]));
        // The server closed: the next request opens a new connection.
        let r = c.send(req(), false).await.unwrap();
        assert_eq!((r.status, r.body.len()), (200, 0));
    }
}
