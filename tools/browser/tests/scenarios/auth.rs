//! Signing up, in and out, and the settings.

use crate::{scenarios, unique};

scenarios! {
    async fn sign_up_lands_on_home_signed_in(b) {
        let name = unique("signup");
        b.sign_up(&name).await;
        assert_eq!(b.path().await, "/");
        let links = b.texts("ul.navbar-nav a.nav-link").await;
        assert!(links.iter().any(|l| l.contains("New Article")), "{links:?}");
        assert!(links.iter().any(|l| l.contains("Settings")), "{links:?}");
        assert!(b.texts("div.feed-toggle a.nav-link").await.contains(&"Your Feed".to_owned()));
    }

    async fn a_wrong_password_shows_the_error_and_keeps_the_email(b) {
        let name = unique("wrongpw");
        b.sign_up(&name).await;
        b.sign_out().await;
        let email = format!("{name}@browser.example");
        b.sign_in(&email, "not-my-password").await;
        assert_eq!(b.text("ul.error-messages li").await, "email or password is invalid");
        assert_eq!(b.attr("input[name=email]", "value").await, email);
        assert_eq!(b.count("img.user-pic").await, 0);
    }

    async fn settings_change_image_bio_username_and_password_then_sign_in_with_the_new_one(b) {
        let name = unique("settings");
        b.sign_up(&name).await;
        b.goto("/settings").await;
        let renamed = format!("{name}x");
        b.fill("input[name=image]", "https://images.example/me.png").await;
        b.fill("textarea[name=bio]", "I test in real browsers").await;
        b.fill("input[name=username]", &renamed).await;
        b.fill("input[name=password]", "new-password-456").await;
        b.fill("input[name=current_password]", "password-123").await;
        b.click("form button.btn-primary[type=submit]").await;
        b.wait_path(&format!("/profile/{renamed}")).await;
        assert_eq!(b.text("div.user-info h4").await, renamed);
        assert_eq!(b.text("div.user-info p").await, "I test in real browsers");
        assert_eq!(b.attr("div.user-info img.user-img", "src").await, "https://images.example/me.png");

        b.sign_out().await;
        let email = format!("{name}@browser.example");
        b.sign_in(&email, "password-123").await;
        assert_eq!(b.text("ul.error-messages li").await, "email or password is invalid");
        b.sign_in(&email, "new-password-456").await;
        b.wait_signed_in(&renamed).await;

        // Sign out everywhere ends this session too.
        b.goto("/settings").await;
        b.click("form.sign-out-everywhere button").await;
        b.wait_path("/login").await;
        b.goto("/settings").await;
        b.wait_path("/login").await;
    }

    async fn logout_signs_out(b) {
        let name = unique("logout");
        b.sign_up(&name).await;
        b.goto("/settings").await;
        b.click("form button.btn-outline-danger").await;
        b.wait_path("/").await;
        b.find("a.nav-link[href='/register']").await;
        assert_eq!(b.count("img.user-pic").await, 0);
        assert_eq!(b.count("a.nav-link[href='/editor']").await, 0);
        b.goto("/settings").await;
        b.wait_path("/login").await;
    }
}
