//! Content-Type by file name extension (RFC 9110 §8.3). Text types carry
//! `charset=utf-8`, which is what a static site is written in today.

#[allow(unused_imports)]
use crate::prelude::*;
/// The media type for a file name, by its extension (ASCII case-insensitive);
/// `application/octet-stream` when unknown.
pub fn content_type(file_name: &str) -> &'static str {
    let Some((_, ext)) = file_name.rsplit_once('.') else {
        return DEFAULT;
    };
    // Extensions in the table are at most 11 bytes; lower-case on the stack.
    let mut lower = [0u8; 16];
    if ext.is_empty() || ext.len() > lower.len() {
        return DEFAULT;
    }
    for (d, s) in lower.iter_mut().zip(ext.bytes()) {
        *d = s.to_ascii_lowercase();
    }
    let ext = &lower[..ext.len()];
    TABLE.iter().find(|(e, _)| e.as_bytes() == ext).map_or(DEFAULT, |(_, t)| t)
}

/// What unknown extensions are served as (RFC 9110 §8.3: the recipient may
/// then sniff, or treat it as opaque data).
pub const DEFAULT: &str = "application/octet-stream";

const TABLE: &[(&str, &str)] = &[
    ("html", "text/html; charset=utf-8"),
    ("htm", "text/html; charset=utf-8"),
    ("css", "text/css; charset=utf-8"),
    ("js", "text/javascript; charset=utf-8"),
    ("mjs", "text/javascript; charset=utf-8"),
    ("json", "application/json"),
    ("map", "application/json"),
    ("webmanifest", "application/manifest+json"),
    ("txt", "text/plain; charset=utf-8"),
    ("md", "text/markdown; charset=utf-8"),
    ("csv", "text/csv; charset=utf-8"),
    ("xml", "application/xml"),
    ("svg", "image/svg+xml"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("avif", "image/avif"),
    ("ico", "image/x-icon"),
    ("wasm", "application/wasm"),
    ("pdf", "application/pdf"),
    ("woff", "font/woff"),
    ("woff2", "font/woff2"),
    ("ttf", "font/ttf"),
    ("otf", "font/otf"),
    ("mp4", "video/mp4"),
    ("webm", "video/webm"),
    ("mp3", "audio/mpeg"),
    ("ogg", "audio/ogg"),
    ("zip", "application/zip"),
    ("gz", "application/gzip"),
    ("tar", "application/x-tar"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_extension() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("a/b/STYLE.CSS"), "text/css; charset=utf-8");
        assert_eq!(content_type("app.mjs"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("x.woff2"), "font/woff2");
        assert_eq!(content_type("photo.JPeG"), "image/jpeg");
        assert_eq!(content_type("site.webmanifest"), "application/manifest+json");
        assert_eq!(content_type("archive.tar.gz"), "application/gzip");
        assert_eq!(content_type("Makefile"), DEFAULT);
        assert_eq!(content_type("trailing."), DEFAULT);
        assert_eq!(content_type("x.averyverylongext"), DEFAULT);
        assert_eq!(content_type("x.é"), DEFAULT);
    }
}
