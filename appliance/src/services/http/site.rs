//! The document root: loaded into memory at start (as a unikernel embeds
//! its site), or looked up on disk per request. Both modes answer the same
//! way; only where the bytes come from, and the ETag, differ.
//!
//! - **Memory** ([`SiteMode::Memory`]): every regular file under the root is
//!   read once. Each file keeps its body (`Bytes`, shared by every response)
//!   and the constant part of its response head (Content-Type,
//!   Content-Length, ETag, Last-Modified, Accept-Ranges) formatted at load,
//!   so a request costs one map lookup and a few copies. The ETag is strong:
//!   a hash of the content and its length. Total bytes are limited
//!   ([`Site::load_with_limit`]) and logged.
//! - **Disk** ([`SiteMode::Disk`]): each request resolves and opens the file;
//!   the body is streamed from it in chunks. The ETag is made of the file's
//!   modification time and length (what nginx does), as hashing per request
//!   would read the file twice. Reads block the event loop, as nginx's do
//!   without thread pools; use it for sites too large for memory.
//! - **Symlinks** are followed only to targets inside the root (both paths
//!   canonicalized, then a prefix check). At load, a link out of the root or
//!   a dangling one is skipped with a warning; on disk, it answers 404.
//!   Directory link cycles are cut at load (warning).

#[allow(unused_imports)]
use crate::prelude::*;
use alloc::sync::Arc;
use hashbrown::HashMap;
#[cfg(feature = "std")]
use std::fs::{self, File};
#[cfg(feature = "std")]
use std::io;
#[cfg(feature = "std")]
use std::path::{Path, PathBuf};
#[cfg(feature = "std")]
use std::time::SystemTime;

use bytes::Bytes;

use super::{date, mime};
use crate::env::BuildEnv;

/// The default largest total of file bytes a [`SiteMode::Memory`] site may
/// hold (1 GiB).
pub const DEFAULT_MEMORY_LIMIT: u64 = 1 << 30;

/// Where file bodies come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SiteMode {
    /// Every file is read into memory at start.
    #[default]
    Memory,
    /// Files are opened and read per request (std only).
    #[cfg(feature = "std")]
    Disk,
}

/// Loading the site failed; every variant names the path.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// The root does not exist.
    #[error("site root {0}: no such directory")]
    NoRoot(String),
    /// The root is not a directory.
    #[error("site root {0}: not a directory")]
    NotADirectory(String),
    /// A directory or file could not be read.
    #[cfg(feature = "std")]
    #[error("site {path}: {source}")]
    Read {
        /// What could not be read.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The files are larger in total than the memory limit.
    #[error(
        "site root {root}: files exceed the memory limit of {limit} bytes (at {path}); serve it from disk"
    )]
    TooLarge {
        /// The root.
        root: String,
        /// The limit.
        limit: u64,
        /// The file that went over it.
        path: String,
    },
    /// The platform could not list or read the site (its message names the path).
    #[error("site: {0}")]
    Env(String),
    /// Directories nest deeper than [`MAX_DEPTH`].
    #[error("site {0}: directories nest deeper than {MAX_DEPTH}")]
    TooDeep(String),
}

/// What every response for one file shares.
#[derive(Debug)]
pub(crate) struct Meta {
    pub content_type: &'static str,
    pub len: u64,
    /// With its quotes, e.g. `"1a2b-3c4d"`.
    pub etag: Box<str>,
    pub modified: u64,
    /// Content-Type .. Accept-Ranges lines of a 200 answer, CRLFs included.
    pub head: Box<[u8]>,
}

impl Meta {
    fn new(name: &str, len: u64, etag: String, modified: u64) -> Meta {
        let content_type = mime::content_type(name);
        let last_modified = date::format(modified);
        let head = format!(
            "Content-Type: {content_type}\r\nContent-Length: {len}\r\nETag: {etag}\r\nLast-Modified: {}\r\nAccept-Ranges: bytes\r\n",
            core::str::from_utf8(&last_modified).unwrap_or_default()
        );
        Meta { content_type, len, etag: etag.into(), modified, head: head.into_bytes().into() }
    }

    /// ETag and Last-Modified lines (what a 304 repeats, RFC 9110 §15.4.5).
    pub fn write_validators(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"ETag: ");
        out.extend_from_slice(self.etag.as_bytes());
        out.extend_from_slice(b"\r\nLast-Modified: ");
        out.extend_from_slice(&date::format(self.modified));
        out.extend_from_slice(b"\r\n");
    }
}

/// One file held in memory.
#[derive(Debug)]
pub(crate) struct MemFile {
    pub meta: Meta,
    pub body: Bytes,
}

/// One file opened from disk for one response.
#[cfg(feature = "std")]
#[derive(Debug)]
pub(crate) struct DiskFile {
    pub meta: Meta,
    pub file: File,
}

/// What a path names.
#[derive(Debug)]
pub(crate) enum Found<'s> {
    Mem(&'s MemFile),
    #[cfg(feature = "std")]
    Disk(DiskFile),
    /// A directory asked for without its trailing slash.
    AddSlash,
    Nothing,
}

/// A static site. Build it once and share it (`Arc<Site>`) between
/// services and stack instances.
#[derive(Debug)]
pub struct Site {
    /// The canonical root (std: disk mode resolves and checks links against it).
    #[cfg(feature = "std")]
    root: PathBuf,
    mode: SiteMode,
    /// Memory mode: relative path -> file.
    files: HashMap<Box<str>, Arc<MemFile>>,
    /// Memory mode: relative directory path (`""` for the root) -> its
    /// index.html, if any.
    dirs: HashMap<Box<str>, Option<Arc<MemFile>>>,
    total: u64,
}

impl Site {
    /// Loads the site under `root` in `mode`, with the default memory limit.
    #[cfg(feature = "std")]
    pub fn load(root: impl AsRef<Path>, mode: SiteMode) -> Result<Site, SiteError> {
        Site::load_with_limit(root, mode, DEFAULT_MEMORY_LIMIT)
    }

    /// Loads the site; in memory mode, fails if the files total more than
    /// `limit` bytes (files reached by several links count once).
    #[cfg(feature = "std")]
    pub fn load_with_limit(root: impl AsRef<Path>, mode: SiteMode, limit: u64) -> Result<Site, SiteError> {
        let given = root.as_ref();
        let root = match fs::canonicalize(given) {
            Ok(r) => r,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(SiteError::NoRoot(given.display().to_string()));
            }
            Err(source) => return Err(SiteError::Read { path: given.into(), source }),
        };
        let md = fs::metadata(&root).map_err(|source| SiteError::Read { path: given.into(), source })?;
        if !md.is_dir() {
            return Err(SiteError::NotADirectory(given.display().to_string()));
        }
        let mut site = Site { root, mode, files: HashMap::new(), dirs: HashMap::new(), total: 0 };
        match mode {
            SiteMode::Disk => {
                fs::read_dir(&site.root).map_err(|source| SiteError::Read { path: given.into(), source })?;
                tracing::info!(root = %site.root.display(), "http: serving the site from disk");
            }
            SiteMode::Memory => {
                let mut loader = Loader { limit, read: HashMap::new(), ancestors: Vec::new() };
                let root = site.root.clone();
                loader.walk(&mut site, &root, "")?;
                site.find_indexes();
                tracing::info!(
                    root = %site.root.display(),
                    files = site.files.len(),
                    bytes = site.total,
                    "http: site loaded into memory"
                );
            }
        }
        Ok(site)
    }

    /// Loads the site under `root` (as the platform names it) into memory
    /// through `env`, failing past `limit` bytes. Last-Modified is the load
    /// time, as `env` lists no file times.
    pub fn load_in(root: &str, env: &dyn BuildEnv, limit: u64) -> Result<Site, SiteError> {
        let mut site = Site {
            #[cfg(feature = "std")]
            root: PathBuf::from(root),
            mode: SiteMode::Memory,
            files: HashMap::new(),
            dirs: HashMap::new(),
            total: 0,
        };
        let modified = env.time_provider().current_time().map_or(0, |t| t.as_secs());
        let mut walk = EnvWalk { env, root, limit, modified };
        walk.dir(&mut site, root, "", 0)?;
        site.find_indexes();
        tracing::info!(root, files = site.files.len(), bytes = site.total, "http: site loaded into memory");
        Ok(site)
    }

    /// Memory mode: each directory's index.html.
    fn find_indexes(&mut self) {
        let index: Vec<_> = self.dirs.keys().cloned().collect();
        for dir in index {
            let key = if dir.is_empty() { "index.html".to_string() } else { format!("{dir}/index.html") };
            let file = self.files.get(key.as_str()).cloned();
            self.dirs.insert(dir, file);
        }
    }

    /// The canonical root directory.
    #[cfg(feature = "std")]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Memory or disk.
    pub fn mode(&self) -> SiteMode {
        self.mode
    }

    /// Files held in memory (0 in disk mode).
    pub fn files(&self) -> usize {
        self.files.len()
    }

    /// Bytes held in memory (0 in disk mode).
    pub fn total_bytes(&self) -> u64 {
        self.total
    }

    /// Resolves a normalized relative path (see `request::normalize`);
    /// `dir` when the request named a directory (trailing slash).
    pub(crate) fn find(&self, path: &str, dir: bool) -> Found<'_> {
        match self.mode {
            SiteMode::Memory => {
                if !dir && let Some(f) = self.files.get(path) {
                    return Found::Mem(f);
                }
                match self.dirs.get(path) {
                    Some(_) if !dir => Found::AddSlash,
                    Some(Some(index)) => Found::Mem(index),
                    _ => Found::Nothing,
                }
            }
            #[cfg(feature = "std")]
            SiteMode::Disk => self.find_on_disk(path, dir),
        }
    }

    #[cfg(feature = "std")]
    fn find_on_disk(&self, path: &str, dir: bool) -> Found<'_> {
        let Some(target) = self.inside(&self.root.join(path)) else { return Found::Nothing };
        let Ok(md) = fs::metadata(&target) else { return Found::Nothing };
        let (target, name) = if md.is_dir() {
            if !dir {
                return Found::AddSlash;
            }
            match self.inside(&target.join("index.html")) {
                Some(index) => (index, "index.html"),
                None => return Found::Nothing,
            }
        } else if dir {
            return Found::Nothing; // a file named like a directory
        } else {
            (target, path)
        };
        let opened = File::open(&target).and_then(|file| Ok((file.metadata()?, file)));
        match opened {
            Ok((md, file)) if md.is_file() => {
                let modified = date::unix_secs(md.modified().unwrap_or(SystemTime::UNIX_EPOCH));
                let nanos = md.modified().ok().and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok());
                let etag =
                    format!("\"{:x}.{:x}-{:x}\"", modified, nanos.map_or(0, |d| d.subsec_nanos()), md.len());
                Found::Disk(DiskFile { meta: Meta::new(name, md.len(), etag, modified), file })
            }
            Ok(_) => Found::Nothing,
            Err(e) => {
                tracing::debug!(path = %target.display(), "http: cannot open: {e}");
                Found::Nothing
            }
        }
    }

    /// The canonical form of `path` if it exists and lies inside the root.
    #[cfg(feature = "std")]
    fn inside(&self, path: &Path) -> Option<PathBuf> {
        let canonical = fs::canonicalize(path).ok()?;
        if canonical.starts_with(&self.root) {
            Some(canonical)
        } else {
            tracing::warn!(path = %path.display(), target = %canonical.display(), "http: link out of the site root refused");
            None
        }
    }
}

/// How deep a site's directories may nest (a guard against link cycles an
/// env might present).
pub const MAX_DEPTH: usize = 64;

/// State of one memory-mode load through a [`BuildEnv`].
struct EnvWalk<'a> {
    env: &'a dyn BuildEnv,
    root: &'a str,
    limit: u64,
    modified: u64,
}

impl EnvWalk<'_> {
    fn dir(&mut self, site: &mut Site, dir: &str, rel: &str, depth: usize) -> Result<(), SiteError> {
        if depth > MAX_DEPTH {
            return Err(SiteError::TooDeep(dir.to_string()));
        }
        site.dirs.insert(rel.into(), None);
        for (name, is_dir) in self.env.list(dir).map_err(SiteError::Env)? {
            let path = if dir.ends_with('/') { format!("{dir}{name}") } else { format!("{dir}/{name}") };
            let child = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
            if is_dir {
                self.dir(site, &path, &child, depth + 1)?;
                continue;
            }
            let data = self.env.read(&path).map_err(SiteError::Env)?;
            site.total += data.len() as u64;
            if site.total > self.limit {
                return Err(SiteError::TooLarge { root: self.root.to_string(), limit: self.limit, path });
            }
            let etag = strong_etag(&data);
            let meta = Meta::new(&name, data.len() as u64, etag, self.modified);
            site.files.insert(child.into(), Arc::new(MemFile { meta, body: Bytes::from(data) }));
        }
        Ok(())
    }
}

/// State of one memory-mode load from the host's files.
#[cfg(feature = "std")]
struct Loader {
    limit: u64,
    /// Canonical path -> body: a file reached by several links is read once.
    read: HashMap<PathBuf, (Bytes, String, u64)>,
    /// Canonical directories being walked (cycle check).
    ancestors: Vec<PathBuf>,
}

#[cfg(feature = "std")]
impl Loader {
    fn walk(&mut self, site: &mut Site, dir: &Path, rel: &str) -> Result<(), SiteError> {
        let read_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SiteError::Read { path, source }
        };
        site.dirs.insert(rel.into(), None);
        self.ancestors.push(dir.to_path_buf());
        let mut entries: Vec<_> =
            fs::read_dir(dir).map_err(read_err(dir))?.collect::<Result<_, _>>().map_err(read_err(dir))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                tracing::warn!(path = %path.display(), "http: file name not UTF-8; not served");
                continue;
            };
            let child = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
            let file_type = entry.file_type().map_err(read_err(&path))?;
            let target = if file_type.is_symlink() {
                match fs::canonicalize(&path) {
                    Ok(t) if t.starts_with(&site.root) => t,
                    Ok(t) => {
                        tracing::warn!(link = %path.display(), target = %t.display(), "http: link out of the site root; not served");
                        continue;
                    }
                    Err(e) => {
                        tracing::warn!(link = %path.display(), "http: dangling link; not served: {e}");
                        continue;
                    }
                }
            } else {
                path.clone()
            };
            let md = fs::metadata(&target).map_err(read_err(&path))?;
            if md.is_dir() {
                if self.ancestors.contains(&target) {
                    tracing::warn!(link = %path.display(), "http: directory link cycle; not followed");
                    continue;
                }
                self.walk(site, &target, &child)?;
            } else if md.is_file() {
                let file = self.read(site, &target, &name, &md)?;
                site.files.insert(child.into(), file);
            } else {
                tracing::debug!(path = %path.display(), "http: not a regular file; not served");
            }
        }
        self.ancestors.pop();
        Ok(())
    }

    fn read(
        &mut self,
        site: &mut Site,
        target: &Path,
        name: &str,
        md: &fs::Metadata,
    ) -> Result<Arc<MemFile>, SiteError> {
        let modified = date::unix_secs(md.modified().unwrap_or(SystemTime::UNIX_EPOCH));
        if let Some((body, etag, modified)) = self.read.get(target) {
            let meta = Meta::new(name, body.len() as u64, etag.clone(), *modified);
            return Ok(Arc::new(MemFile { meta, body: body.clone() }));
        }
        let data = fs::read(target).map_err(|source| SiteError::Read { path: target.into(), source })?;
        site.total += data.len() as u64;
        if site.total > self.limit {
            return Err(SiteError::TooLarge {
                root: site.root.display().to_string(),
                limit: self.limit,
                path: target.display().to_string(),
            });
        }
        let etag = strong_etag(&data);
        let body = Bytes::from(data);
        self.read.insert(target.into(), (body.clone(), etag.clone(), modified));
        let meta = Meta::new(name, body.len() as u64, etag, modified);
        Ok(Arc::new(MemFile { meta, body }))
    }
}

/// A strong ETag: the length and a content hash.
fn strong_etag(data: &[u8]) -> String {
    format!("\"{:x}-{:016x}\"", data.len(), fnv1a(data))
}

/// 64-bit FNV-1a: a content hash for strong ETags (not for security: an
/// ETag only has to change when the content does).
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}
