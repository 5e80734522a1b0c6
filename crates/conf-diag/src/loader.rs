//! Where configuration text comes from. The front end stays pure by reading files
//! only through this trait; [`FsLoader`] is the real file system, [`MemLoader`] is for tests.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

pub trait Loader {
    /// Read a whole file as text (invalid UTF-8 is replaced, as keepalived reads bytes).
    fn read(&self, path: &Path) -> io::Result<String>;
    /// Expand a glob pattern to the matching paths, sorted.
    fn glob(&self, pattern: &str) -> Vec<PathBuf>;
    /// Whether the path is a directory.
    fn is_dir(&self, path: &Path) -> bool;
    /// The files directly in a directory, sorted by name.
    fn list_dir(&self, path: &Path) -> Vec<PathBuf>;
}

/// Reads from the real file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct FsLoader;

impl Loader for FsLoader {
    fn read(&self, path: &Path) -> io::Result<String> {
        let bytes = std::fs::read(path)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn glob(&self, pattern: &str) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = match glob::glob(pattern) {
            Ok(paths) => paths
                .filter_map(Result::ok)
                .filter(|p| p.is_file())
                .collect(),
            Err(_) => Vec::new(),
        };
        out.sort();
        out
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn list_dir(&self, path: &Path) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = std::fs::read_dir(path)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.is_file())
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }
}

/// An in-memory file tree for tests.
#[derive(Debug, Default, Clone)]
pub struct MemLoader {
    files: BTreeMap<PathBuf, String>,
}

impl MemLoader {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        self.files.insert(path.into(), text.into());
        self
    }
}

impl Loader for MemLoader {
    fn read(&self, path: &Path) -> io::Result<String> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }

    fn glob(&self, pattern: &str) -> Vec<PathBuf> {
        let Ok(pat) = glob::Pattern::new(pattern) else {
            return Vec::new();
        };
        self.files
            .keys()
            .filter(|p| pat.matches_path(p))
            .cloned()
            .collect()
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.files.keys().any(|p| p.parent() == Some(path))
    }

    fn list_dir(&self, path: &Path) -> Vec<PathBuf> {
        self.files
            .keys()
            .filter(|p| p.parent() == Some(path))
            .cloned()
            .collect()
    }
}
