"""Demo help center: four topics, articles in English and a few in Persian and Arabic.

`help_center_seed()` writes through knowledge.services and is safe to run again: it adds only
the categories and articles that are missing. `manage.py seed_help_center` calls it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from accounts.models import User
from knowledge import services
from knowledge.models import Article, Category


@dataclass(frozen=True)
class _Topic:
    slug: str
    name: str
    description: str
    position: int


@dataclass(frozen=True)
class _Page:
    topic: str
    language: str
    title: str
    body_html: str
    views: int  # so "Popular articles" has an order to show
    status: str = Article.Status.PUBLISHED


TOPICS = [
    _Topic("account", "Your account", "Signing in, passwords and account settings.", 10),
    _Topic("orders-shipping", "Orders and shipping", "Delivery times, tracking and damaged parcels.", 20),
    _Topic("billing-refunds", "Billing and refunds", "Invoices, payments, charges and refunds.", 30),
    _Topic("troubleshooting", "Troubleshooting", "When something on the site does not work as it should.", 40),
]

PAGES = [
    # --- English ------------------------------------------------------------------------------
    _Page(
        "account",
        "en",
        "How do I reset my password?",
        "<p>If you forgot your password, click <strong>Forgot your password?</strong> on the sign-in page.</p>"
        "<ol><li>Enter the email address you signed up with.</li>"
        "<li>Open the link we send you. It works for 24 hours and only once.</li>"
        "<li>Choose a new password of at least 10 characters.</li></ol>"
        "<p>No email after ten minutes? Look in your spam folder, and check that you typed the address "
        "you signed up with. Still nothing: reply to any of our emails and we will help.</p>",
        940,
    ),
    _Page(
        "account",
        "en",
        "Changing the email address on your account",
        "<p>Go to <strong>Account → Profile</strong>, enter the new address and save. We send a confirmation "
        "link to the new address; the change takes effect once you open it.</p>"
        "<p>Until then, receipts and shipping updates still go to your old address.</p>",
        210,
    ),
    _Page(
        "account",
        "en",
        "Turning on two-step verification",
        "<p>Two-step verification asks for a code from your phone each time you sign in on a new device.</p>"
        "<ol><li>Open <strong>Account → Security</strong>.</li>"
        "<li>Choose <em>Turn on two-step verification</em> and scan the QR code with an authenticator app.</li>"
        "<li>Enter the six-digit code the app shows, then keep the backup codes somewhere safe.</li></ol>",
        130,
    ),
    _Page(
        "account",
        "en",
        "Closing your account",
        "<p>You can close your account under <strong>Account → Privacy</strong>. Open orders are delivered "
        "first; we keep invoices for seven years because the tax law requires it, and delete everything else "
        "within 30 days.</p>",
        75,
    ),
    _Page(
        "orders-shipping",
        "en",
        "How long does shipping take?",
        "<p>Orders placed before 2 pm on a working day leave our warehouse the same day.</p>"
        "<table><thead><tr><th>Destination</th><th>Standard</th><th>Express</th></tr></thead>"
        "<tbody><tr><td>Same country</td><td>2–4 working days</td><td>1 working day</td></tr>"
        "<tr><td>Europe</td><td>4–7 working days</td><td>2 working days</td></tr>"
        "<tr><td>Rest of the world</td><td>7–14 working days</td><td>3–5 working days</td></tr></tbody></table>"
        "<p>Public holidays and customs checks can add a day or two.</p>",
        880,
    ),
    _Page(
        "orders-shipping",
        "en",
        "Tracking your parcel",
        "<p>As soon as your order ships we email you a tracking number and a link to the carrier's page. "
        "You also find it under <strong>Orders</strong> in your account.</p>"
        "<p>Tracking can take up to 24 hours to show the first scan.</p>",
        520,
    ),
    _Page(
        "orders-shipping",
        "en",
        "My parcel arrived damaged",
        "<p>We are sorry! Please take a photo of the parcel and of the damaged item, and send them to us "
        "within 7 days of delivery. We send a replacement or refund you in full, whichever you prefer; "
        "you do not need to return the damaged item.</p>",
        160,
    ),
    _Page(
        "orders-shipping",
        "en",
        "Shipping to another country",
        "<p>We ship to more than 60 countries. Import duties and taxes outside the European Union are paid "
        "by the recipient on delivery; the checkout shows an estimate before you pay.</p>",
        95,
    ),
    _Page(
        "billing-refunds",
        "en",
        "How do refunds work?",
        "<p>You can return any item within 30 days of delivery. Once the return reaches our warehouse and "
        "is checked, we refund the same card or account you paid with within 3–7 working days.</p>"
        "<p>Shipping costs are refunded too when the item was faulty or we sent the wrong one.</p>",
        760,
    ),
    _Page(
        "billing-refunds",
        "en",
        "Downloading an invoice",
        "<p>Every order has a PDF invoice under <strong>Orders → Invoice</strong>. Need your company name "
        "or VAT number on it? Add them under <strong>Account → Billing details</strong> before you order; "
        "for an order already placed, write to us and we will issue a corrected invoice.</p>",
        430,
    ),
    _Page(
        "billing-refunds",
        "en",
        "Why was I charged twice?",
        "<p>What looks like a second charge is usually a <em>pre-authorization</em>: your bank holds the "
        "amount while the payment is confirmed and releases it within 3–5 working days. If both charges are "
        "still there after a week, send us your order number and a screenshot of your statement.</p>",
        300,
    ),
    _Page(
        "billing-refunds",
        "en",
        "Changing your payment method",
        "<p>Add or remove cards under <strong>Account → Payment methods</strong>. A subscription is charged "
        "to the card marked <em>default</em>.</p>",
        120,
    ),
    _Page(
        "troubleshooting",
        "en",
        "The checkout page does not load",
        "<p>Most often a browser extension blocks the payment window. Try a private window, or turn off ad "
        "blockers for our site, then reload the page. Your cart is kept for 7 days.</p>",
        140,
    ),
    _Page(
        "billing-refunds",
        "en",
        "Gift cards",
        "<p>Gift cards are coming soon. This article is published when they are.</p>",
        0,
        Article.Status.DRAFT,
    ),
    # --- Persian ------------------------------------------------------------------------------
    _Page(
        "account",
        "fa",
        "چطور رمز عبورم را بازنشانی کنم؟",
        "<p>اگر رمز عبور خود را فراموش کرده‌اید، در صفحهٔ ورود روی «رمز عبور را فراموش کرده‌اید؟» بزنید.</p>"
        "<ol><li>نشانی ایمیلی را که با آن ثبت‌نام کرده‌اید وارد کنید.</li>"
        "<li>پیوندی را که برایتان می‌فرستیم باز کنید؛ این پیوند ۲۴ ساعت معتبر است.</li>"
        "<li>رمز عبور تازه‌ای با دست‌کم ۱۰ نویسه انتخاب کنید.</li></ol>"
        "<p>اگر ایمیل به دستتان نرسید، پوشهٔ هرزنامه را هم ببینید.</p>",
        410,
    ),
    _Page(
        "orders-shipping",
        "fa",
        "ارسال سفارش چقدر طول می‌کشد؟",
        "<p>سفارش‌هایی که تا ساعت ۱۴ یک روز کاری ثبت شوند، همان روز از انبار ارسال می‌شوند.</p>"
        "<ul><li>تهران: ۱ تا ۲ روز کاری</li><li>شهرهای دیگر: ۲ تا ۵ روز کاری</li></ul>"
        "<p>پس از ارسال، کد رهگیری مرسوله برایتان پیامک می‌شود.</p>",
        380,
    ),
    _Page(
        "billing-refunds",
        "fa",
        "بازگشت وجه چگونه انجام می‌شود؟",
        "<p>تا ۳۰ روز پس از تحویل می‌توانید کالا را پس بدهید. پس از رسیدن کالا به انبار و بررسی آن، مبلغ "
        "ظرف ۳ تا ۷ روز کاری به همان کارتی که با آن پرداخت کرده‌اید بازگردانده می‌شود.</p>",
        260,
    ),
    _Page(
        "billing-refunds",
        "fa",
        "دریافت فاکتور رسمی",
        "<p>فاکتور هر سفارش در بخش <strong>سفارش‌ها ← فاکتور</strong> به‌صورت PDF در دسترس است. برای فاکتور "
        "رسمی، نام شرکت و شناسهٔ ملی را پیش از ثبت سفارش در <strong>حساب ← اطلاعات صورت‌حساب</strong> وارد کنید.</p>",
        150,
    ),
    # --- Arabic -------------------------------------------------------------------------------
    _Page(
        "account",
        "ar",
        "كيف أعيد تعيين كلمة المرور؟",
        "<p>إذا نسيت كلمة المرور، اضغط على «نسيت كلمة المرور؟» في صفحة تسجيل الدخول.</p>"
        "<ol><li>أدخل عنوان البريد الإلكتروني المسجّل في حسابك.</li>"
        "<li>افتح الرابط الذي نرسله إليك؛ الرابط صالح لمدة ٢٤ ساعة.</li>"
        "<li>اختر كلمة مرور جديدة من ١٠ أحرف على الأقل.</li></ol>"
        "<p>إذا لم تصلك الرسالة، تحقّق من مجلد البريد غير الهام.</p>",
        330,
    ),
    _Page(
        "orders-shipping",
        "ar",
        "كم تستغرق مدة الشحن؟",
        "<p>تُشحن الطلبات المؤكدة قبل الساعة الثانية ظهرًا من يوم عمل في اليوم نفسه.</p>"
        "<ul><li>داخل المدينة: من يوم إلى يومي عمل</li><li>المدن الأخرى: من يومين إلى خمسة أيام عمل</li></ul>"
        "<p>ستصلك رسالة نصية برقم التتبع بعد شحن الطلب.</p>",
        290,
    ),
    _Page(
        "billing-refunds",
        "ar",
        "كيف أسترد أموالي؟",
        "<p>يمكنك إرجاع المنتج خلال ٣٠ يومًا من الاستلام. بعد وصول المنتج إلى المستودع وفحصه، نعيد المبلغ إلى "
        "البطاقة نفسها التي دفعت بها خلال ٣ إلى ٧ أيام عمل.</p>",
        180,
    ),
]


def help_center_seed(*, author: User | None = None) -> int:
    """Add the demo categories and articles that are not there yet; the number of articles added."""
    added = 0
    with transaction.atomic():
        categories = {}
        for topic in TOPICS:
            categories[topic.slug], _created = Category.objects.get_or_create(
                slug=topic.slug,
                defaults={"name": topic.name, "description": topic.description, "position": topic.position},
            )
        existing = set(Article.objects.values_list("language", "title"))
        for page in PAGES:
            if (page.language, page.title) in existing:
                continue
            article = services.article_create(
                title=page.title,
                body_html=page.body_html,
                language=page.language,
                category=categories[page.topic],
                status=page.status,
                author=author,
            )
            # Demo readership, so the index has popular articles; real views count through article_viewed.
            Article.objects.filter(pk=article.pk).update(view_count=page.views)
            added += 1
    return added
