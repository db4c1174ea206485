//! `attach-file`: a file from disk, its name and its media type, as the platform would send
//! them.

use std::path::Path;

use anyhow::{Context, Result, bail};

/// The most the CLI reads into memory. The component and the host refuse far less (4 MiB by
/// default) with their own errors; this only keeps a wrong path to a huge file from filling
/// the machine's memory first.
const READ_MAX: u64 = 64 << 20;

/// The file's name (what the attachment is called) and its bytes.
pub fn read(path: &Path) -> Result<(String, Vec<u8>)> {
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .with_context(|| format!("{} has no file name in UTF-8", path.display()))?
        .to_string();
    let size = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    if size > READ_MAX {
        bail!(
            "{} is {size} bytes, too large to attach (the CLI reads at most {READ_MAX})",
            path.display()
        );
    }
    let content = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok((name, content))
}

/// The media type of common evidence files by extension; `application/octet-stream` (what
/// ServiceNow's own Python client sends by default) for the rest.
pub fn guess_type(path: &Path) -> String {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match extension.as_str() {
        "csv" => "text/csv",
        "txt" | "log" => "text/plain",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "html" | "htm" => "text/html",
        "xml" => "application/xml",
        "zip" => "application/zip",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_by_extension() {
        assert_eq!(guess_type(Path::new("costs.CSV")), "text/csv");
        assert_eq!(guess_type(Path::new("/tmp/graph.png")), "image/png");
        assert_eq!(guess_type(Path::new("noext")), "application/octet-stream");
        assert_eq!(guess_type(Path::new("a.exe")), "application/octet-stream");
    }

    #[test]
    fn a_file_is_read_with_its_name() {
        let dir = std::env::temp_dir().join(format!("attach-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cost report.csv");
        std::fs::write(&path, b"a,b\n").unwrap();
        let (name, content) = read(&path).unwrap();
        assert_eq!(
            (name.as_str(), content.as_slice()),
            ("cost report.csv", &b"a,b\n"[..])
        );
        let missing = read(&dir.join("nope.csv")).unwrap_err();
        assert!(format!("{missing:#}").contains("nope.csv"), "{missing:#}");
    }
}
