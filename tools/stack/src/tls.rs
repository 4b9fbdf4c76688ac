//! Certificates made for a test: a throwaway certificate authority and a certificate it signs
//! for `localhost` and 127.0.0.1, with the `openssl` command line (Debian's openssl).

use std::path::{Path, PathBuf};
use std::process::Command;

/// What [`test_certificates`] made.
#[derive(Debug, Clone)]
pub struct TestCertificates {
    /// The CA's certificate: what a client trusts (`curl --cacert`).
    pub ca: PathBuf,
    /// A directory holding `site.pem` (certificate chain then key), HAProxy's `crt` argument.
    pub certs_dir: PathBuf,
}

/// Makes a CA and a site certificate (ECDSA P-256, valid two days) in `dir`.
pub fn test_certificates(dir: &Path) -> Result<TestCertificates, String> {
    let openssl = conduit_servers::procs::on_path("openssl")
        .ok_or("no openssl on PATH (apt-get install openssl)")?;
    let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let run = |args: &[&str]| -> Result<(), String> {
        let out = Command::new(&openssl)
            .args(args)
            .output()
            .map_err(|e| format!("openssl: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "openssl {}: {}",
                args.first().copied().unwrap_or(""),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    let key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    run(&[
        &["req", "-x509"][..],
        &key[..],
        &[
            "-keyout",
            &path("ca.key"),
            "-out",
            &path("ca.pem"),
            "-days",
            "2",
            "-subj",
            "/CN=Conduit test CA",
        ][..],
    ]
    .concat())?;
    run(&[
        &["req"][..],
        &key[..],
        &[
            "-keyout",
            &path("site.key"),
            "-out",
            &path("site.csr"),
            "-subj",
            "/CN=localhost",
        ][..],
    ]
    .concat())?;
    std::fs::write(
        dir.join("site.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .map_err(|e| e.to_string())?;
    run(&[
        "x509",
        "-req",
        "-in",
        &path("site.csr"),
        "-CA",
        &path("ca.pem"),
        "-CAkey",
        &path("ca.key"),
        "-CAcreateserial",
        "-out",
        &path("site.crt"),
        "-days",
        "2",
        "-extfile",
        &path("site.ext"),
    ])?;
    let certs_dir = dir.join("certs");
    std::fs::create_dir_all(&certs_dir).map_err(|e| e.to_string())?;
    let pem = [
        std::fs::read(dir.join("site.crt")).map_err(|e| e.to_string())?,
        std::fs::read(dir.join("site.key")).map_err(|e| e.to_string())?,
    ]
    .concat();
    std::fs::write(certs_dir.join("site.pem"), pem).map_err(|e| e.to_string())?;
    Ok(TestCertificates {
        ca: dir.join("ca.pem"),
        certs_dir,
    })
}
