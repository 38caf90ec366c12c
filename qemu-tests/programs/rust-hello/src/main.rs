//! Ringo's first Rust guest: stdout, a file in /tmp written and read back,
//! and a directory listing, each printed on a line the tests look for.

use std::error::Error;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const TEXT: &str = "written by rust-hello\n";

fn main() -> ExitCode {
    println!("rust-hello: hello from Rust std");
    // The pid keeps parallel runs on a host apart.
    let dir = PathBuf::from(format!("/tmp/rust-hello-{}", std::process::id()));
    match exercise(&dir) {
        Ok(()) => {
            println!("rust-hello: ok");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("FAIL: rust-hello: {e}");
            ExitCode::FAILURE
        }
    }
}

fn exercise(dir: &Path) -> Result<(), Box<dyn Error>> {
    fs::create_dir(dir)?;
    let file = dir.join("note.txt");
    fs::File::create(&file)?.write_all(TEXT.as_bytes())?;
    let back = fs::read_to_string(&file)?;
    if back != TEXT {
        return Err(format!("read back {back:?}, wrote {TEXT:?}").into());
    }
    println!("rust-hello: read back {} bytes", back.len());

    fs::create_dir(dir.join("sub"))?;
    let mut names = fs::read_dir(dir)?
        .map(|entry| Ok(entry?.file_name().into_string().map_err(|n| format!("{n:?}"))?))
        .collect::<Result<Vec<String>, Box<dyn Error>>>()?;
    names.sort();
    println!("rust-hello: the directory holds {}", names.join(" "));
    if names != ["note.txt", "sub"] {
        return Err(format!("listing {names:?}").into());
    }
    fs::remove_dir_all(dir)?;
    Ok(())
}
