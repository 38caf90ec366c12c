//! `ringo`: build the Ringo kernel and run it in QEMU. See `ringo help`.

use std::io::IsTerminal;
use std::process::ExitCode;

use qemu_tests::cli::{self, CliError, Command, RunArgs, USAGE};
use qemu_tests::initramfs::TempArchive;
use qemu_tests::outcome::{EXIT_LAUNCHER_ERROR, EXIT_USAGE, GuestStatus};
use qemu_tests::{Error, build_kernel};

fn main() -> ExitCode {
    let parsed = std::env::args_os()
        .skip(1)
        .map(|a| a.into_string().map_err(|_| CliError::NotUnicode))
        .collect::<Result<Vec<_>, _>>()
        .and_then(cli::parse);
    let code = match parsed {
        Err(e) => {
            eprintln!("ringo: {e}");
            eprint!("{USAGE}");
            EXIT_USAGE
        }
        Ok(Command::Help) => {
            print!("{USAGE}");
            0
        }
        Ok(Command::Build { profile }) => match build_kernel(profile) {
            Ok(image) => {
                println!("{}", image.display());
                0
            }
            Err(e) => fail(&e),
        },
        Ok(Command::Run(args)) => match pack(&args) {
            // Packed first: a bad --add should not wait for a kernel build.
            Ok(archive) => run(&args, archive.as_ref()).unwrap_or_else(|e| fail(&e)),
            Err(code) => code,
        },
    };
    ExitCode::from(u8::try_from(code).unwrap_or(u8::MAX))
}

/// What QEMU's console mux prints on Ctrl-A x.
const QEMU_QUIT_BY_USER: &str = "QEMU: Terminated";

/// The initramfs around the program, when there is one; the exit status on
/// failure, said.
fn pack(args: &RunArgs) -> Result<Option<TempArchive>, i32> {
    let packed = args.initramfs().and_then(|tree| tree.map(|tree| tree.write_temp()).transpose());
    packed.map_err(|e| {
        eprintln!("ringo: initramfs: {e}");
        EXIT_LAUNCHER_ERROR
    })
}

fn run(args: &RunArgs, archive: Option<&TempArchive>) -> Result<i32, Error> {
    let kernel = match &args.kernel {
        Some(path) => path.clone(),
        None => build_kernel(args.profile)?,
    };
    let mut config = args.config(kernel, std::io::stdin().is_terminal());
    if let Some(archive) = archive {
        config.initrd = Some(archive.path().to_path_buf());
    }
    let outcome = qemu_tests::run(&config)?;
    // An exact status was printed by the kernel itself; say the rest.
    if config.interactive && outcome.serial.trim_end().ends_with(QEMU_QUIT_BY_USER) {
        eprintln!("ringo: QEMU quit (Ctrl-A x) after {:.2?}", outcome.wall);
    } else if !matches!(outcome.status, GuestStatus::Exited(_)) {
        eprintln!("ringo: {} after {:.2?}", outcome.status, outcome.wall);
    }
    Ok(outcome.exit_code())
}

fn fail(e: &Error) -> i32 {
    eprintln!("ringo: {e}");
    e.exit_code()
}
