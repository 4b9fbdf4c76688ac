//! HTTPS at HAProxy with a certificate made for the test (its own CA), checked with real TLS
//! clients (curl, openssl s_client): 200 over HTTPS with the CA, HTTP/2 by ALPN, HSTS, Secure
//! and `__Host-` cookies, plain HTTP redirected, an unknown CA refused, and a new certificate
//! taken up by a seamless reload.

mod common;

use std::process::Command;

/// `curl ARGS` (silent, errors shown): (exit success, stdout).
fn curl(args: &[&str]) -> (bool, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10"])
        .args(args)
        .output()
        .expect("curl runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn https_with_a_generated_ca_h2_hsts_secure_cookies_and_a_redirect() {
    let tools = || {
        for tool in ["openssl", "curl"] {
            conduit_servers::procs::on_path(tool).ok_or(format!("no {tool} on PATH"))?;
        }
        Ok::<(), String>(())
    };
    if conduit_testkit::require("openssl and curl", tools()).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let certs = conduit_stack::tls::test_certificates(dir.path()).unwrap();
    let Some((_stack_dir, stack)) = common::stack(&[], Some(&certs.certs_dir)) else {
        return;
    };
    let https = stack.state.https_url.clone().unwrap();
    let port = https.rsplit(':').next().unwrap().to_owned();
    let resolve = format!("localhost:{port}:127.0.0.1");
    let ca = certs.ca.to_string_lossy().into_owned();
    let site = format!("https://localhost:{port}");

    // 200 over HTTP/2, with HSTS, trusting only the test's CA.
    let (ok, out) = curl(&[
        "--cacert",
        &ca,
        "--resolve",
        &resolve,
        "--http2",
        "-D",
        "-",
        "-o",
        "/dev/null",
        "-w",
        "version=%{http_version}",
        &format!("{site}/"),
    ]);
    assert!(ok, "{out}");
    let lower = out.to_lowercase();
    assert!(lower.starts_with("http/2 200"), "{out}");
    assert!(
        lower.contains("strict-transport-security: max-age=63072000"),
        "{out}"
    );
    assert!(out.contains("version=2"), "{out}");
    // The API too, as JSON.
    let (ok, out) = curl(&[
        "--cacert",
        &ca,
        "--resolve",
        &resolve,
        &format!("{site}/api/tags"),
    ]);
    assert!(ok && out.contains("\"tags\""), "{out}");
    // Cookies over HTTPS: Secure and __Host-.
    let (ok, out) = curl(&[
        "--cacert",
        &ca,
        "--resolve",
        &resolve,
        "-D",
        "-",
        "-o",
        "/dev/null",
        &format!("{site}/login"),
    ]);
    assert!(ok, "{out}");
    let cookie = out
        .lines()
        .find(|l| l.to_lowercase().starts_with("set-cookie:"))
        .unwrap_or_else(|| panic!("no cookie: {out}"));
    assert!(
        cookie.contains("__Host-conduit_csrf=") && cookie.contains("Secure"),
        "{cookie}"
    );
    // Plain HTTP: a redirect to HTTPS, and no HSTS there.
    let (ok, out) = curl(&[
        "-D",
        "-",
        "-o",
        "/dev/null",
        &format!("{}/article/x?a=1", stack.state.public_url),
    ]);
    assert!(ok, "{out}");
    let lower = out.to_lowercase();
    assert!(lower.starts_with("http/1.1 301"), "{out}");
    assert!(lower.contains("location: https://127.0.0.1:"), "{out}");
    assert!(lower.contains("/article/x?a=1"), "{out}");
    assert!(!lower.contains("strict-transport-security"), "{out}");
    // A client that does not trust the test's CA refuses the site.
    let (ok, out) = curl(&[
        "--resolve",
        &resolve,
        "-o",
        "/dev/null",
        &format!("{site}/"),
    ]);
    assert!(!ok, "trusted without the CA: {out}");

    // The handshake, as openssl sees it (the figures the operator documentation quotes).
    let out = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-servername",
            "localhost",
        ])
        .args(["-alpn", "h2,http/1.1", "-CAfile", &ca])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    let summary: Vec<&str> = text
        .lines()
        .filter(|l| {
            [
                "New, ",
                "Protocol",
                "Cipher",
                "ALPN",
                "Verify return",
                "Server Temp Key",
                "Peer signature",
            ]
            .iter()
            .any(|k| l.trim_start().starts_with(k))
        })
        .collect();
    eprintln!("openssl s_client:\n{}", summary.join("\n"));
    assert!(text.contains("New, TLSv1.3"), "{text}");
    assert!(text.contains("ALPN protocol: h2"), "{text}");
    assert!(text.contains("Verify return code: 0 (ok)"), "{text}");
    // TLS 1.1 is refused (Mozilla intermediate: 1.2 and 1.3 only).
    let old = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-tls1_1",
            "-brief",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!old.status.success(), "TLS 1.1 accepted");

    // A new certificate in the directory is served after a seamless reload.
    let renewed = tempfile::tempdir().unwrap();
    let next = conduit_stack::tls::test_certificates(renewed.path()).unwrap();
    std::fs::copy(
        next.certs_dir.join("site.pem"),
        certs.certs_dir.join("site.pem"),
    )
    .unwrap();
    let mut stack = stack;
    stack.reload_haproxy().unwrap();
    let next_ca = next.ca.to_string_lossy().into_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (ok, _) = curl(&[
            "--cacert",
            &next_ca,
            "--resolve",
            &resolve,
            "-o",
            "/dev/null",
            &format!("{site}/"),
        ]);
        if ok {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the renewed certificate was never served"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
