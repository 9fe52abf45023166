// Input: a path the store is about to read, lock or replace.
// Output: the opened file, or a refusal that names the path and the fix, when the path is
// anything but a regular file that only this process's user can change: someone else's
// file could plant a token, a symbolic link could point anywhere, a FIFO blocks the open
// forever and a device or a huge file reads without end.

use std::fs::{self, File, FileType, Metadata};
use std::io;
use std::path::Path;

use crate::store::StoreError;

/// The most the store reads from its file: a saved token is well under a kilobyte, so a
/// larger file is not one this store wrote.
pub(super) const MAX_FILE_SIZE: u64 = 1024 * 1024;

/// What the store opens a file for.
#[derive(Clone, Copy, Debug)]
pub(super) enum Purpose {
    /// Reading the token.
    Read,
    /// Locking: read and write, created owner-only if missing.
    Lock,
}

/// Opens `path` for `purpose`, never through a symbolic link and never blocking on a FIFO,
/// then checks the opened file itself (not the path again, which could have changed in
/// between): see [`check`].
pub(super) fn open(path: &Path, purpose: Purpose) -> Result<(File, Metadata), StoreError> {
    let file = open_no_follow(path, purpose).map_err(|source| {
        // Opening a link without following it fails (ELOOP on Linux): say what it means.
        if fs::symlink_metadata(path).is_ok_and(|found| found.file_type().is_symlink()) {
            StoreError::Symlink {
                path: path.to_owned(),
            }
        } else {
            io_error(path, source)
        }
    })?;
    let metadata = file.metadata().map_err(|source| io_error(path, source))?;
    check(path, &metadata)?;
    Ok((file, metadata))
}

#[cfg(unix)]
fn open_no_follow(path: &Path, purpose: Purpose) -> io::Result<File> {
    use rustix::fs::{Mode, OFlags};

    // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting forever.
    // It changes nothing for the regular files that pass the checks.
    let flags = OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let flags = match purpose {
        Purpose::Read => flags | OFlags::RDONLY,
        Purpose::Lock => flags | OFlags::RDWR | OFlags::CREATE,
    };
    let fd = rustix::fs::open(path, flags, Mode::RUSR | Mode::WUSR)?;
    Ok(File::from(fd))
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path, purpose: Purpose) -> io::Result<File> {
    let mut options = fs::OpenOptions::new();
    match purpose {
        Purpose::Read => options.read(true),
        Purpose::Lock => options.read(true).write(true).create(true).truncate(false),
    };
    options.open(path)
}

/// Whether the store may replace whatever is at `path` on save: nothing, or a file that
/// passes [`check`]. A symbolic link is refused rather than silently replaced by a file.
///
/// The rename that follows replaces the directory entry, never a link's target, so a link
/// swapped in after this check cannot redirect the write.
pub(super) fn replaceable(path: &Path) -> Result<(), StoreError> {
    match fs::symlink_metadata(path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(io_error(path, source)),
        Ok(found) if found.file_type().is_symlink() => Err(StoreError::Symlink {
            path: path.to_owned(),
        }),
        Ok(found) => check(path, &found),
    }
}

/// A regular file; on unix also owned by the effective user and not writable by group or
/// others (readable by them is the owner's choice: the store itself writes `0600`).
fn check(path: &Path, metadata: &Metadata) -> Result<(), StoreError> {
    if !metadata.is_file() {
        return Err(StoreError::NotAFile {
            path: path.to_owned(),
            kind: kind(metadata.file_type()),
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;

        let (owner, user) = (metadata.uid(), effective_uid());
        if owner != user {
            return Err(StoreError::NotOwned {
                path: path.to_owned(),
                owner,
                user,
            });
        }
        let mode = metadata.mode() & 0o7777;
        if mode & 0o022 != 0 {
            return Err(StoreError::Writable {
                path: path.to_owned(),
                mode,
            });
        }
    }
    Ok(())
}

/// What a path that is not a regular file is, in words.
fn kind(file_type: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;

        if file_type.is_fifo() {
            return "FIFO";
        }
        if file_type.is_char_device() {
            return "character device";
        }
        if file_type.is_block_device() {
            return "block device";
        }
        if file_type.is_socket() {
            return "socket";
        }
    }
    if file_type.is_dir() {
        "directory"
    } else {
        "special file"
    }
}

/// The user whose files this process may trust: the one it runs as.
#[cfg(unix)]
fn effective_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

pub(super) fn io_error(path: &Path, source: io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_owned(),
        source,
    }
}
