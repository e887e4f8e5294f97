//! Opening and creating files the safe way (SPEC §15): stream files and locks are opened
//! without following symbolic links and without waiting on FIFOs, anything that is not
//! a regular file is refused, and what ccmon creates gets its mode whatever the umask.

use std::fs::{File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Mode of every folder ccmon creates for its own data.
pub const PRIVATE_DIR: u32 = 0o700;
/// Mode of every file ccmon creates for its own data.
pub const PRIVATE_FILE: u32 = 0o600;
/// Mode of a folder created for an export (aggregates only, read by another user).
pub const SHARED_DIR: u32 = 0o755;
/// Mode of an exported file.
pub const SHARED_FILE: u32 = 0o644;

/// Flags for every open of a stream file: no symlink following, no blocking on a FIFO,
/// not inherited by children.
const SAFE_FLAGS: i32 = libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC;

/// The error for a path that exists but is not a regular file.
fn not_regular(kind: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("is a {kind}, not a regular file; refusing to use it"),
    )
}

fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_file() {
        "regular file"
    } else if t.is_dir() {
        "directory"
    } else if t.is_symlink() {
        "symbolic link"
    } else if t.is_fifo() {
        "FIFO"
    } else if t.is_socket() {
        "socket"
    } else if t.is_block_device() || t.is_char_device() {
        "device"
    } else {
        "special file"
    }
}

/// Fails unless `file` is a regular file.
fn check_regular(file: &File) -> io::Result<()> {
    let meta = file.metadata()?;
    if meta.file_type().is_file() {
        Ok(())
    } else {
        Err(not_regular(kind_of(&meta)))
    }
}

/// Turns the `ELOOP` of an `O_NOFOLLOW` open into a message that says what happened.
fn explain_open_error(path: &Path, err: io::Error) -> io::Error {
    if err.raw_os_error() == Some(libc::ELOOP)
        && std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
    {
        return not_regular("symbolic link");
    }
    if err.raw_os_error() == Some(libc::ENXIO) {
        // O_NONBLOCK write-open of a FIFO without a reader.
        return not_regular("FIFO");
    }
    err
}

/// Opens an existing file for reading: never follows a symlink, never blocks on a FIFO,
/// and refuses anything but a regular file (`InvalidInput`).
pub fn open_read(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(SAFE_FLAGS)
        .open(path)
        .map_err(|e| explain_open_error(path, e))?;
    check_regular(&file)?;
    Ok(file)
}

/// Opens `path` for appending (and reading), creating it with mode 0600 whatever the
/// umask when missing. Never follows a symlink; refuses anything but a regular file.
pub fn open_append(path: &Path) -> io::Result<File> {
    open_rw(path, true)
}

/// Opens a lock file (created 0600 when missing), with the same rules as
/// [`open_append`].
pub fn open_lock(path: &Path) -> io::Result<File> {
    open_rw(path, false)
}

fn open_rw(path: &Path, append: bool) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true).custom_flags(SAFE_FLAGS).mode(PRIVATE_FILE);
    if append {
        opts.append(true);
    } else {
        opts.write(true);
    }
    // Create it exclusively first, so a file we create gets its mode set exactly.
    let created = opts.clone().create_new(true).open(path);
    let file = match created {
        Ok(file) => {
            file.set_permissions(Permissions::from_mode(PRIVATE_FILE))?;
            file
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            opts.open(path).map_err(|e| explain_open_error(path, e))?
        }
        Err(e) => return Err(explain_open_error(path, e)),
    };
    check_regular(&file)?;
    Ok(file)
}

/// Creates `dir` and its missing parents, each new folder with `mode` whatever the
/// umask. An existing path that is not a folder (or is a symlink to one) is refused.
pub fn create_dir_all(dir: &Path, mode: u32) -> io::Result<()> {
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(meta) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} is a {}, not a folder", dir.display(), kind_of(&meta)),
            ));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    if let Some(parent) = dir.parent()
        && !parent.as_os_str().is_empty()
    {
        // Parents above a data root may be anybody's; only check they exist as folders.
        if std::fs::metadata(parent).is_err() {
            create_dir_all(parent, mode)?;
        }
    }
    match std::fs::create_dir(dir) {
        Ok(()) => std::fs::set_permissions(dir, Permissions::from_mode(mode)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder with `mode`,
/// synced, then renamed over the target, so readers see the old file or the new one,
/// never half of one. A missing folder is created with `dir_mode`.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32, dir_mode: u32) -> io::Result<()> {
    replace(path, bytes, mode, dir_mode, true)
}

/// [`write_atomic`] for a cache (a rollup): renamed into place as well, so a reader never
/// sees half of it, but not synced first, since losing it in a crash costs only the
/// time to rebuild it, and a sync per file made a first report over a month of files
/// wait on the disk hundreds of times.
pub fn write_cache(path: &Path, bytes: &[u8], mode: u32, dir_mode: u32) -> io::Result<()> {
    replace(path, bytes, mode, dir_mode, false)
}

fn replace(path: &Path, bytes: &[u8], mode: u32, dir_mode: u32, sync: bool) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    create_dir_all(dir, dir_mode)?;
    if let Ok(meta) = std::fs::symlink_metadata(path)
        && !meta.file_type().is_file()
    {
        return Err(not_regular(kind_of(&meta)));
    }
    let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    tmp.as_file()
        .set_permissions(Permissions::from_mode(mode))?;
    tmp.write_all(bytes)?;
    if sync {
        tmp.as_file().sync_all()?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn refuses_symlinks_and_fifos() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        let link = dir.path().join("link.jsonl");
        symlink(&target, &link).unwrap();
        let err = open_append(&link).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(!target.exists(), "the link's target must not be created");
        assert!(open_read(&link).is_err());

        let fifo = dir.path().join("fifo.jsonl");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(open_read(&fifo).unwrap_err().to_string().contains("FIFO"));
        assert!(open_append(&fifo).unwrap_err().to_string().contains("FIFO"));
        assert!(open_lock(&fifo).is_err());
    }

    #[test]
    fn modes_ignore_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let old = unsafe { libc::umask(0) };
        let nested = dir.path().join("a/b");
        create_dir_all(&nested, PRIVATE_DIR).unwrap();
        let f = nested.join("x.jsonl");
        drop(open_append(&f).unwrap());
        let export = dir.path().join("e/metrics.prom");
        write_atomic(&export, b"x\n", SHARED_FILE, SHARED_DIR).unwrap();
        unsafe { libc::umask(old) };
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&nested), 0o700);
        assert_eq!(mode(&f), 0o600);
        assert_eq!(mode(&dir.path().join("e")), 0o755);
        assert_eq!(mode(&export), 0o644);
        assert_eq!(std::fs::read(&export).unwrap(), b"x\n");
    }
}
