//! Wording about the output folder: writing, deleting, locking, adopting and
//! keeping files, and what in it cfgen refuses to touch.

use super::all_of;

/// An I/O failure writing a file.
#[must_use]
pub fn write_failed(path: &str, error: &std::io::Error) -> String {
    if error.kind() == std::io::ErrorKind::StorageFull {
        format!("cannot write `{path}`: no space left on the device ({error})")
    } else {
        format!("cannot write `{path}`: {error}")
    }
}

/// An I/O failure deleting a file.
#[must_use]
pub fn delete_failed(path: &str, error: &std::io::Error) -> String {
    format!("cannot delete `{path}`: {error}")
}

/// An I/O failure creating a folder.
#[must_use]
pub fn create_folder_failed(path: &str, error: &std::io::Error) -> String {
    if error.kind() == std::io::ErrorKind::StorageFull {
        format!("cannot create the folder `{path}`: no space left on the device ({error})")
    } else {
        format!("cannot create the folder `{path}`: {error}")
    }
}

/// An I/O failure taking the lock of an output folder.
#[must_use]
pub fn lock_failed(path: &str, error: &std::io::Error) -> String {
    format!("cannot lock `{path}`: {error}")
}

/// Something other than a regular file or folder where cfgen reads or writes output.
#[must_use]
pub fn not_regular_output(path: &str, found: &str) -> String {
    format!(
        "refusing to use `{path}`: it is {found}; in the output folder cfgen reads, writes and deletes only regular files and folders, and never follows a link"
    )
}

/// Help for [`not_regular_output`].
pub const NOT_REGULAR_OUTPUT_HELP: &str =
    "remove it (generated files are plain files; `cfgen build` writes them again)";

/// The `output` folder leads outside the project (the backstop behind the rule).
#[must_use]
pub fn output_outside_project(output: &str) -> String {
    format!("the output folder `{output}` is not a relative path inside the project")
}

/// A manifest line cfgen does not act on.
#[must_use]
pub fn bad_manifest_entry(path: &str, reason: &str) -> String {
    format!("`.cfgen-manifest` lists `{path}`, which is not a file of the output folder: {reason}")
}

/// Label of [`bad_manifest_entry`].
pub const BAD_MANIFEST_ENTRY_LABEL: &str = "cfgen neither deletes nor overwrites this";

/// Help for [`bad_manifest_entry`].
pub const BAD_MANIFEST_ENTRY_HELP: &str = "cfgen writes `.cfgen-manifest` itself; restore it from version control, or delete it and run `cfgen build` (files that hold exactly what cfgen generates are listed again)";

/// Files adopted into the manifest because they already hold the generated content.
#[must_use]
pub fn adopted(project: &str, out: &str, paths: &[String]) -> String {
    format!(
        "{project}: {} file(s) in `{out}` were not listed in `.cfgen-manifest` but hold exactly what cfgen generates; they are listed now: {}",
        paths.len(),
        all_of(paths)
    )
}

/// A listed file no longer generated that cfgen does not prune.
#[must_use]
pub fn kept(path: &str, why: &str) -> String {
    format!(
        "left `{path}` in place although cfgen no longer generates it: {why}; it is no longer listed in `.cfgen-manifest`, delete it yourself if it is not needed"
    )
}

/// Reason for [`kept`]: the content changed.
pub const KEPT_CHANGED: &str = "it changed since cfgen wrote it";

/// Reason for [`kept`]: an entry without a hash.
pub const KEPT_NO_HASH: &str =
    "its entry, written by an older cfgen, records no content hash to prove cfgen wrote it";

/// Another build holds the output folder's lock.
#[must_use]
pub fn waiting_for_lock(out: &str) -> String {
    format!("another `cfgen build` is writing `{out}`; waiting for it to finish")
}

/// Temporary files of an interrupted build removed.
#[must_use]
pub fn swept(count: usize, out: &str) -> String {
    format!("removed {count} temporary file(s) an interrupted build left in `{out}`")
}

/// Modes repaired.
#[must_use]
pub fn modes_repaired(count: usize, out: &str) -> String {
    format!("repaired the mode of {count} file(s) in `{out}`")
}

/// `output` in `cfgen.yaml` is not a folder inside the project.
#[must_use]
pub fn output_not_in_project(output: &str, reason: &str) -> String {
    format!("the output folder `{output}` is not a folder inside the project: {reason}")
}

/// Label of [`output_not_in_project`].
pub const OUTPUT_NOT_IN_PROJECT_LABEL: &str = "cfgen writes and prunes generated files here";

/// Help for [`output_not_in_project`].
pub const OUTPUT_NOT_IN_PROJECT_HELP: &str = "give a relative path inside the project, beside `config/` and `cfgen.yaml`, such as `output: deploy`; to write elsewhere, pass `--out DIR` on the command line";
