//! A small HTTP/1.1 client for the socket tests, std only: one
//! [`Connection`] sends requests one after another (keep-alive), bodies
//! come by `Content-Length`, chunked transfer coding or until the server
//! closes. Every read and write has a timeout, so a guest that stops
//! answering fails the test instead of hanging it. Also the byte pattern
//! of the test server's `/big` page (qemu-tests/programs/go/internal/
//! httpdemo), so a download can be checked against a digest computed
//! here.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// The most header bytes a response may have.
const MAX_HEADER: usize = 64 * 1024;
/// Default per-read and per-write timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Byte `i` of the test server's `/big?n=N` body (httpdemo's PatternByte).
pub fn pattern_byte(i: usize) -> u8 {
    ((i * 7 + 3) % 251) as u8
}

/// The first `n` bytes of the `/big` pattern.
pub fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(pattern_byte).collect()
}

/// A response, body complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// Names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// The server said it closes the connection after this response.
    pub fn closes(&self) -> bool {
        self.header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Why a request failed.
#[derive(Debug)]
pub enum HttpError {
    Io(io::Error),
    /// The response was not HTTP/1.x as the client reads it.
    Malformed(String),
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::Io(e) => write!(f, "{e}"),
            HttpError::Malformed(what) => write!(f, "malformed response: {what}"),
        }
    }
}

impl std::error::Error for HttpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HttpError::Io(e) => Some(e),
            HttpError::Malformed(_) => None,
        }
    }
}

impl From<io::Error> for HttpError {
    fn from(e: io::Error) -> Self {
        HttpError::Io(e)
    }
}

fn malformed(what: impl Into<String>) -> HttpError {
    HttpError::Malformed(what.into())
}

/// One TCP connection to a server, reused for request after request.
pub struct Connection {
    reader: BufReader<TcpStream>,
    host: String,
    /// The server closed, or said it would: no more requests here.
    closed: bool,
}

impl Connection {
    /// Connects to `addr` with [`DEFAULT_TIMEOUT`].
    pub fn connect(addr: impl ToSocketAddrs) -> Result<Connection, HttpError> {
        Connection::connect_timeout(addr, DEFAULT_TIMEOUT)
    }

    /// Connects to `addr`; `timeout` bounds the connect and each later
    /// read and write.
    pub fn connect_timeout(addr: impl ToSocketAddrs, timeout: Duration) -> Result<Connection, HttpError> {
        let addr: SocketAddr =
            addr.to_socket_addrs()?.next().ok_or_else(|| io::Error::other("the address resolves to nothing"))?;
        let stream = TcpStream::connect_timeout(&addr, timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        stream.set_nodelay(true)?;
        Ok(Connection { reader: BufReader::with_capacity(256 * 1024, stream), host: addr.to_string(), closed: false })
    }

    /// The server has closed this connection (or announced it would).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    pub fn get(&mut self, path: &str) -> Result<Response, HttpError> {
        self.request("GET", path, &[], &[])
    }

    pub fn post(&mut self, path: &str, body: &[u8]) -> Result<Response, HttpError> {
        self.request("POST", path, &[("Content-Type", "application/octet-stream")], body)
    }

    /// Sends one request (with `Content-Length` when it has a body) and
    /// reads its whole response. The body is sent before the response is
    /// read: the server must read a request whole before answering.
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Response, HttpError> {
        if self.closed {
            return Err(io::Error::new(io::ErrorKind::NotConnected, "the server closed this connection").into());
        }
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !body.is_empty() || method == "POST" || method == "PUT" {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let stream = self.reader.get_mut();
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)?;
        stream.flush()?;
        let response = read_response(&mut self.reader, method == "HEAD")?;
        if response.response.closes() || response.close_delimited {
            self.closed = true;
        }
        Ok(response.response)
    }
}

/// A response and whether its body ended with the connection.
struct ReadResponse {
    response: Response,
    close_delimited: bool,
}

/// Reads one response from `reader`; `head_only` for a HEAD request
/// (no body whatever the headers say).
fn read_response(reader: &mut impl BufRead, head_only: bool) -> Result<ReadResponse, HttpError> {
    let mut header_bytes = 0;
    let status_line = read_line(reader, &mut header_bytes)?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(malformed(format!("status line {status_line:?}")));
    }
    let status: u16 =
        parts.next().and_then(|s| s.parse().ok()).ok_or_else(|| malformed(format!("status line {status_line:?}")))?;
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader, &mut header_bytes)?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').ok_or_else(|| malformed(format!("header line {line:?}")))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let mut response = Response { status, headers, body: Vec::new() };
    // 1xx, 204 and 304 have no body, nor does an answer to HEAD.
    if head_only || (100..200).contains(&status) || status == 204 || status == 304 {
        return Ok(ReadResponse { response, close_delimited: false });
    }
    let chunked = response.header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let close_delimited = if chunked {
        response.body = read_chunked(reader, &mut header_bytes)?;
        false
    } else if let Some(length) = response.header("content-length") {
        let length: usize = length.parse().map_err(|_| malformed(format!("Content-Length {length:?}")))?;
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        response.body = body;
        false
    } else {
        reader.read_to_end(&mut response.body)?;
        true
    };
    Ok(ReadResponse { response, close_delimited })
}

/// One CRLF-terminated line without its end (a bare LF is accepted).
fn read_line(reader: &mut impl BufRead, header_bytes: &mut usize) -> Result<String, HttpError> {
    let mut line = Vec::new();
    let n = reader.by_ref().take((MAX_HEADER + 1 - *header_bytes) as u64).read_until(b'\n', &mut line)?;
    *header_bytes += n;
    if n == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the connection").into());
    }
    if line.last() != Some(&b'\n') {
        return Err(malformed(if *header_bytes > MAX_HEADER { "headers too long" } else { "a line cut short" }));
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| malformed("a line that is not UTF-8"))
}

/// A chunked body: `SIZE[;ext]\r\n DATA\r\n` ... `0\r\n [trailers] \r\n`.
fn read_chunked(reader: &mut impl BufRead, header_bytes: &mut usize) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    loop {
        // Chunk-size lines do not count against the header limit.
        let mut line_bytes = 0;
        let line = read_line(reader, &mut line_bytes)?;
        let size_text = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| malformed(format!("chunk size {line:?}")))?;
        if size == 0 {
            // Trailers, then the empty line.
            while !read_line(reader, header_bytes)?.is_empty() {}
            return Ok(body);
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut end = [0u8; 2];
        reader.read_exact(&mut end)?;
        if end != *b"\r\n" {
            return Err(malformed("a chunk not followed by CRLF"));
        }
    }
}

/// GET `path` from `addr` on a connection of its own.
pub fn get(addr: impl ToSocketAddrs, path: &str) -> Result<Response, HttpError> {
    Connection::connect(addr)?.get(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread;

    fn parse(raw: &[u8]) -> Result<(Response, bool), HttpError> {
        let mut reader = io::BufReader::new(raw);
        read_response(&mut reader, false).map(|r| (r.response, r.close_delimited))
    }

    #[test]
    fn a_content_length_body() {
        let (r, until_close) = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhelloEXTRA").unwrap();
        assert_eq!((r.status, r.body.as_slice(), until_close), (200, &b"hello"[..], false));
        assert_eq!(r.header("x-a"), Some("b"));
        assert_eq!(r.header("X-A"), Some("b"));
    }

    #[test]
    fn a_chunked_body_with_extensions_and_trailers() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\nB\r\n, world!!!!\r\n0\r\nT: 1\r\n\r\n";
        let (r, _) = parse(raw).unwrap();
        assert_eq!(r.text(), "hello, world!!!!");
    }

    #[test]
    fn a_body_until_close_and_no_body_for_204() {
        let (r, until_close) = parse(b"HTTP/1.0 200 OK\nServer: x\n\nall of it").unwrap();
        assert_eq!((r.text().as_str(), until_close), ("all of it", true));
        let (r, _) = parse(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap();
        assert!(r.body.is_empty());
    }

    #[test]
    fn bad_responses_are_errors() {
        for raw in [
            &b"SSH-2.0-x\r\n\r\n"[..],
            b"HTTP/1.1 abc OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY",
            b"",
        ] {
            assert!(parse(raw).is_err(), "{:?} was accepted", String::from_utf8_lossy(raw));
        }
        let huge = format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEADER));
        assert!(matches!(parse(huge.as_bytes()), Err(HttpError::Malformed(_))));
    }

    #[test]
    fn the_pattern_is_httpdemos() {
        assert_eq!(pattern(4), [3, 10, 17, 24]);
        assert_eq!(pattern_byte(251), pattern_byte(0));
        assert_eq!(pattern_byte(36), (36 * 7 + 3 - 251) as u8);
    }

    /// A server that answers each request on one connection in turn with
    /// `answers`, and reports the requests it read.
    fn serve_once(answers: Vec<&'static [u8]>) -> (SocketAddr, thread::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut writer = stream;
            let mut requests = Vec::new();
            for answer in answers {
                let mut head = String::new();
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap();
                    }
                    if line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                requests.push(format!("{head}body={}", String::from_utf8_lossy(&body)));
                writer.write_all(answer).unwrap();
            }
            requests
        });
        (addr, server)
    }

    #[test]
    fn requests_share_a_connection_until_the_server_closes() {
        let (addr, server) = serve_once(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            b"HTTP/1.1 201 Created\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        ]);
        let mut c = Connection::connect(addr).unwrap();
        assert_eq!(c.get("/a").unwrap().text(), "ok");
        assert_eq!(c.post("/b", b"xyz").unwrap().text(), "abc");
        assert!(!c.is_closed());
        assert_eq!(c.get("/c").unwrap().status, 201);
        assert!(c.is_closed());
        assert!(c.get("/d").is_err(), "a closed connection takes no more requests");
        let requests = server.join().unwrap();
        assert!(requests[0].starts_with("GET /a HTTP/1.1\r\nHost: 127.0.0.1:"), "{requests:?}");
        assert!(requests[1].starts_with("POST /b HTTP/1.1\r\n"), "{requests:?}");
        assert!(requests[1].contains("Content-Length: 3\r\n") && requests[1].ends_with("body=xyz"), "{requests:?}");
    }

    #[test]
    fn a_silent_server_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut c = Connection::connect_timeout(addr, Duration::from_millis(200)).unwrap();
        let e = c.get("/").expect_err("no answer came");
        assert!(
            matches!(&e, HttpError::Io(io) if matches!(io.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)),
            "{e}"
        );
        drop(listener);
    }
}
