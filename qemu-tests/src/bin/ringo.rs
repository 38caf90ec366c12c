//! `ringo`: build the Ringo kernel and run it in QEMU. See `ringo help`.

use std::io::IsTerminal;
use std::process::ExitCode;

use std::path::{Path, PathBuf};

use qemu_tests::cli::{self, CliError, Command, ImageArgs, RunArgs, USAGE};
use qemu_tests::initramfs::{TempArchive, busybox};
use qemu_tests::net::guest_ip;
use qemu_tests::outcome::{EXIT_LAUNCHER_ERROR, EXIT_USAGE, GuestStatus};
use qemu_tests::{Error, build_kernel, kernel_build, source_tree};

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
        Ok(Command::Image(args)) => image(&args),
        Ok(Command::Run(mut args)) => {
            if let Some(note) = args.add_default_ip(&|tap| guest_ip::tap_address(tap, None)) {
                eprintln!("ringo: {note}");
            }
            match pack(&mut args) {
                // Packed first: a bad --add should not wait for a kernel build.
                Ok(archive) => run(&args, archive.as_ref()).unwrap_or_else(|e| fail(&e)),
                Err(code) => code,
            }
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(u8::MAX))
}

/// What QEMU's console mux prints on Ctrl-A x.
const QEMU_QUIT_BY_USER: &str = "QEMU: Terminated";

/// The initramfs around the program or the default image, when there is
/// one; the exit status on failure, said.
fn pack(args: &mut RunArgs) -> Result<Option<TempArchive>, i32> {
    if let Some(note) = args.fall_back_without_busybox(&|path| path.is_file()) {
        eprintln!("ringo: {note}");
    }
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
    config.owns_terminal_session = true;
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

/// `ringo image`: writes the default image and prints where.
fn image(args: &ImageArgs) -> i32 {
    let output = match &args.output {
        Some(path) => path.clone(),
        None => match default_image_path() {
            Ok(path) => path,
            Err(e) => return fail(&e),
        },
    };
    match busybox::image(args.busybox()).and_then(|tree| tree.write_file(&output)) {
        Ok(()) => {
            println!("{}", output.display());
            0
        }
        Err(e) => {
            eprintln!("ringo: image: {e}");
            EXIT_LAUNCHER_ERROR
        }
    }
}

/// target/ringo/default-initramfs.cpio in the repository, beside the kernel.
fn default_image_path() -> Result<PathBuf, Error> {
    let root = source_tree::find_root()?;
    Ok(kernel_build::target_dir(&root).join(Path::new(busybox::IMAGE_FILE)))
}

fn fail(e: &Error) -> i32 {
    eprintln!("ringo: {e}");
    e.exit_code()
}
