//! Another process holding a `FileStore`'s lock, for `tests/tests/integration/file_store_lock.rs`.
//!
//! Usage: `file_lock_holder <lock file>`. Opens the file (creating it), takes its exclusive
//! lock, prints `locked`, then holds the lock until its stdin closes or 60 seconds pass,
//! whichever comes first, and exits, which releases it. The bound keeps a forgotten holder
//! from outliving its test.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

const LONGEST_HOLD: Duration = Duration::from_secs(60);

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: file_lock_holder <lock file>");
        return ExitCode::from(2);
    };
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path);
    let locked = file.and_then(|file| file.lock().map(|()| file));
    let file = match locked {
        Ok(file) => file,
        Err(error) => {
            eprintln!("cannot lock {}: {error}", path.display());
            return ExitCode::FAILURE;
        }
    };
    println!("locked");
    let _ = io::stdout().flush();

    let (closed, stdin_closed) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = io::copy(&mut io::stdin(), &mut io::sink());
        let _ = closed.send(());
    });
    let _ = stdin_closed.recv_timeout(LONGEST_HOLD);
    drop(file);
    ExitCode::SUCCESS
}
