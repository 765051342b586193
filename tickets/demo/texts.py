"""What demo tickets say: subjects, messages, notes and tags, in English, Persian and Arabic (each in its own script).

Pure data. Placeholders: {order}, {plan}, {amount}, {name}, {fix}, {tid}.
"""

from __future__ import annotations

TOPICS = ("billing", "technical", "sales", "vip")

TAGS = {
    "billing": ("billing", "refund", "invoice", "payment"),
    "technical": ("login", "bug", "crash", "sync", "export"),
    "sales": ("pricing", "upgrade", "quote", "trial"),
    "vip": ("vip", "outage", "renewal", "integration"),
}
URGENT_TAGS = {"en": "urgent", "fa": "فوری", "ar": "عاجل"}
ALL_TAGS = sorted({tag for tags in TAGS.values() for tag in tags} | set(URGENT_TAGS.values()) | {"feedback"})

MANUAL_TIME_NOTES = ("Looked up the order", "Checked server logs", "Called the payment provider", "Prepared a quote")

SUBJECTS = {
    "en": {
        "billing": (
            "Charged twice for my subscription",
            "Refund for order {order}",
            "Invoice {order} shows the wrong amount",
            "Cannot update my payment card",
            "Question about my last bill",
        ),
        "technical": (
            "Cannot log in to my account",
            "App crashes when I open the dashboard",
            "Password reset email never arrives",
            "Export to CSV fails",
            "Sync stopped working since yesterday",
        ),
        "sales": (
            "Upgrade to the {plan} plan",
            "Price for 20 more seats",
            "Do you offer a discount for non-profits?",
            "Questions before we buy",
            "Quote request for our team",
        ),
        "vip": (
            "Urgent: production outage",
            "Account review meeting",
            "Custom integration request",
            "Contract renewal",
            "SLA question for our account",
        ),
    },
    "fa": {
        "billing": (
            "دو بار از حسابم برداشت شده",
            "درخواست بازپرداخت سفارش {order}",
            "مبلغ فاکتور {order} اشتباه است",
            "نمی‌توانم کارت بانکی‌ام را تغییر دهم",
            "سؤال درباره صورتحساب ماه گذشته",
        ),
        "technical": (
            "نمی‌توانم وارد حسابم شوم",
            "برنامه هنگام باز کردن داشبورد بسته می‌شود",
            "ایمیل بازیابی رمز عبور نمی‌رسد",
            "خروجی اکسل کار نمی‌کند",
            "همگام‌سازی از دیروز متوقف شده",
        ),
        "sales": (
            "ارتقا به طرح {plan}",
            "قیمت برای ۲۰ کاربر بیشتر",
            "آیا برای مؤسسات خیریه تخفیف دارید؟",
            "چند سؤال پیش از خرید",
            "درخواست پیش‌فاکتور برای تیم ما",
        ),
        "vip": (
            "فوری: سرویس از دسترس خارج شده",
            "درخواست جلسه بررسی حساب",
            "درخواست یکپارچه‌سازی اختصاصی",
            "تمدید قرارداد",
            "سؤال درباره توافق سطح خدمات",
        ),
    },
    "ar": {
        "billing": (
            "تم خصم المبلغ مرتين",
            "طلب استرداد للطلب {order}",
            "الفاتورة {order} تحتوي على مبلغ خاطئ",
            "لا أستطيع تحديث بطاقة الدفع",
            "استفسار عن فاتورتي الأخيرة",
        ),
        "technical": (
            "لا أستطيع تسجيل الدخول إلى حسابي",
            "التطبيق يتوقف عند فتح لوحة التحكم",
            "لا تصلني رسالة إعادة تعيين كلمة المرور",
            "فشل التصدير إلى ملف CSV",
            "توقفت المزامنة منذ الأمس",
        ),
        "sales": (
            "الترقية إلى خطة {plan}",
            "سعر ٢٠ مستخدمًا إضافيًا",
            "هل تقدمون خصمًا للمنظمات غير الربحية؟",
            "أسئلة قبل الشراء",
            "طلب عرض سعر لفريقنا",
        ),
        "vip": (
            "عاجل: توقف الخدمة لدينا",
            "طلب اجتماع لمراجعة الحساب",
            "طلب تكامل مخصص",
            "تجديد العقد",
            "سؤال حول اتفاقية مستوى الخدمة",
        ),
    },
}

# What the customer writes first, by topic.
DETAILS = {
    "en": {
        "billing": (
            "I was charged twice this month for the same subscription. Can you refund one of the payments?",
            "My invoice for order {order} shows {amount} but I paid less at checkout.",
            "I want to change the card on file, but the form keeps rejecting it.",
            "Could you explain the extra fee on my last bill?",
        ),
        "technical": (
            "Since this morning I cannot log in; the page just reloads.",
            "The app closes as soon as I open the dashboard. I already reinstalled it.",
            "I requested a password reset three times but no email arrives.",
            "Exporting my reports fails with an error after a minute.",
        ),
        "sales": (
            "We are a team of 12 and are thinking about the {plan} plan. What does it include?",
            "How much would 20 more seats cost per month?",
            "Do you offer a discount for yearly billing?",
            "Can we try the {plan} features before we commit?",
        ),
        "vip": (
            "Our whole team is blocked right now, please call me as soon as possible.",
            "We would like to review our account and usage before the renewal.",
            "We need an integration with our ERP; who can we talk to?",
            "Please send the renewal terms for next year.",
        ),
    },
    "fa": {
        "billing": (
            "این ماه برای یک اشتراک دو بار از حسابم پول کم شده. لطفاً یکی را برگردانید.",
            "در فاکتور سفارش {order} مبلغ {amount} آمده ولی من کمتر پرداخت کردم.",
            "می‌خواهم کارت بانکی‌ام را عوض کنم ولی فرم مدام خطا می‌دهد.",
            "لطفاً توضیح دهید هزینه اضافه در صورتحساب آخرم بابت چیست؟",
        ),
        "technical": (
            "از صبح نمی‌توانم وارد حسابم شوم و صفحه فقط دوباره بارگذاری می‌شود.",
            "به محض باز کردن داشبورد برنامه بسته می‌شود. دوباره نصبش هم کردم.",
            "سه بار درخواست بازیابی رمز عبور دادم ولی هیچ ایمیلی نیامد.",
            "خروجی گرفتن از گزارش‌ها بعد از یک دقیقه با خطا متوقف می‌شود.",
        ),
        "sales": (
            "ما یک تیم ۱۲ نفره هستیم و به طرح {plan} فکر می‌کنیم. چه امکاناتی دارد؟",
            "هزینه ۲۰ کاربر بیشتر در ماه چقدر است؟",
            "برای پرداخت سالانه تخفیف دارید؟",
            "می‌توانیم امکانات طرح {plan} را قبل از خرید امتحان کنیم؟",
        ),
        "vip": (
            "کل تیم ما الان متوقف شده، لطفاً هر چه زودتر با من تماس بگیرید.",
            "می‌خواهیم پیش از تمدید، حساب و میزان استفاده‌مان را بررسی کنیم.",
            "به یکپارچه‌سازی با سیستم حسابداری‌مان نیاز داریم؛ با چه کسی صحبت کنیم؟",
            "لطفاً شرایط تمدید قرارداد برای سال آینده را بفرستید.",
        ),
    },
    "ar": {
        "billing": (
            "تم خصم قيمة الاشتراك مرتين هذا الشهر. أرجو استرداد إحدى الدفعتين.",
            "فاتورة الطلب {order} تُظهر مبلغ {amount} لكنني دفعت أقل عند الشراء.",
            "أريد تغيير البطاقة المسجلة لكن النموذج يرفضها باستمرار.",
            "هل يمكنكم توضيح الرسوم الإضافية في فاتورتي الأخيرة؟",
        ),
        "technical": (
            "منذ الصباح لا أستطيع تسجيل الدخول، والصفحة تعيد التحميل فقط.",
            "يُغلق التطبيق فور فتح لوحة التحكم، وقد أعدت تثبيته.",
            "طلبت إعادة تعيين كلمة المرور ثلاث مرات ولم تصلني أي رسالة.",
            "يفشل تصدير التقارير برسالة خطأ بعد دقيقة.",
        ),
        "sales": (
            "نحن فريق من ١٢ شخصًا ونفكر في خطة {plan}. ماذا تتضمن؟",
            "كم تكلفة ٢٠ مستخدمًا إضافيًا شهريًا؟",
            "هل يوجد خصم على الاشتراك السنوي؟",
            "هل يمكننا تجربة ميزات خطة {plan} قبل الشراء؟",
        ),
        "vip": (
            "فريقنا بالكامل متوقف الآن، أرجو الاتصال بي في أقرب وقت.",
            "نود مراجعة حسابنا واستخدامنا قبل التجديد.",
            "نحتاج إلى تكامل مع نظام تخطيط الموارد لدينا، مع من نتحدث؟",
            "أرجو إرسال شروط تجديد العقد للعام القادم.",
        ),
    },
}

# How an agent fixes it, by topic; dropped into REPLIES as {fix}.
FIXES = {
    "en": {
        "billing": (
            "I refunded the duplicate payment; it will reach your card in 3-5 business days",
            "I corrected invoice {order} and sent you the new copy",
            "We updated the payment form, so please try your card again",
        ),
        "technical": (
            "I reset your session; please log in again after clearing the browser cache",
            "This is a known issue in version 4.2 and updating to 4.3 fixes it",
            "I allow-listed your address so the reset email gets through",
        ),
        "sales": (
            "I attached a quote for the {plan} plan with yearly billing",
            "I enabled a 14-day trial of the {plan} features on your account",
        ),
        "vip": (
            "I escalated this to our engineers and they are on it now",
            "I booked the account review call for Tuesday at 10:00",
        ),
    },
    "fa": {
        "billing": (
            "مبلغ تکراری را برگرداندم و تا ۳ تا ۵ روز کاری به کارت شما می‌رسد",
            "فاکتور {order} را اصلاح کردم و نسخه جدید را برایتان فرستادم",
            "فرم پرداخت را به‌روز کردیم؛ لطفاً دوباره کارت را ثبت کنید",
        ),
        "technical": (
            "نشست شما را بازنشانی کردم؛ لطفاً حافظه مرورگر را پاک کنید و دوباره وارد شوید",
            "این خطای شناخته‌شده نسخه ۴٫۲ است و با به‌روزرسانی به ۴٫۳ برطرف می‌شود",
            "نشانی شما را در فهرست مجاز گذاشتم تا ایمیل بازیابی برسد",
        ),
        "sales": (
            "پیش‌فاکتور طرح {plan} با پرداخت سالانه را پیوست کردم",
            "یک دوره آزمایشی ۱۴ روزه از امکانات طرح {plan} برای حساب شما فعال کردم",
        ),
        "vip": (
            "موضوع را به مهندسان ارجاع دادم و هم‌اکنون روی آن کار می‌کنند",
            "جلسه بررسی حساب را برای سه‌شنبه ساعت ۱۰ هماهنگ کردم",
        ),
    },
    "ar": {
        "billing": (
            "أعدت المبلغ المكرر وسيصل إلى بطاقتك خلال ٣ إلى ٥ أيام عمل",
            "صححت الفاتورة {order} وأرسلت لك النسخة الجديدة",
            "حدّثنا نموذج الدفع، يرجى إدخال البطاقة مرة أخرى",
        ),
        "technical": (
            "أعدت تعيين جلستك، يرجى مسح ذاكرة المتصفح وتسجيل الدخول مجددًا",
            "هذه مشكلة معروفة في الإصدار 4.2 ويحلها التحديث إلى 4.3",
            "أضفت عنوانك إلى القائمة المسموح بها لتصلك رسالة إعادة التعيين",
        ),
        "sales": (
            "أرفقت عرض سعر لخطة {plan} مع الدفع السنوي",
            "فعّلت لحسابك تجربة مجانية لمدة ١٤ يومًا لميزات خطة {plan}",
        ),
        "vip": (
            "صعّدت الأمر إلى المهندسين وهم يعملون عليه الآن",
            "حجزت اجتماع مراجعة الحساب يوم الثلاثاء الساعة ١٠:٠٠",
        ),
    },
}

PHRASES = {
    "en": {
        "greetings": ("Hello,", "Hi there,", "Good morning,", "Hi support team,"),
        "signoffs": ("Thanks,", "Best regards,", "Cheers,"),
        "replies": (
            "Thanks for reaching out, {name}. {fix}.",
            "Sorry for the trouble, {name}. {fix}.",
            "Hi {name}, thanks for the details. {fix}.",
        ),
        "agent_follow": (
            "Could you send a screenshot of the error?",
            "Which browser and version do you use?",
            "Could you confirm the order number?",
            "I have passed this to our specialists and will update you shortly.",
        ),
        "agent_close": (
            "Glad it works now. I will close this ticket; just reply if anything comes up.",
            "You're welcome! Have a great day.",
        ),
        "customer_follow": (
            "Thanks, I tried that but it still does not work.",
            "Here is the screenshot you asked for.",
            "The order number is {order}.",
            "Any news on this?",
            "It worked once and then failed again.",
        ),
        "customer_thanks": (
            "That fixed it, thank you!",
            "Great, thanks for the quick help.",
            "Perfect, all good now.",
            "Thanks, you can close this.",
        ),
        "notes": (
            "Customer is on the {plan} plan, checked the CRM.",
            "Asked billing to check the payment gateway log.",
            "Known bug, linked to the engineering issue.",
            "Called the customer, no answer.",
            "Possibly a duplicate of an earlier ticket.",
        ),
        "ack": "We received your request (#{tid}). A member of our team will reply soon.",
        "chat_ack": "Thanks for your message! An agent will join the chat in a moment.",
        "call_in": "Phone call",
        "call_out": "Call summary",
        "nudge": "Any update on my request?",
        "survey": "Your request #{tid} has been solved. How did we do? It takes a minute: {url}",
        "proactive": (
            "Hi {name}, we noticed a failed payment on your account and wanted to help.",
            "Hi {name}, your {plan} plan renews next week; reply here if you want to change it.",
        ),
    },
    "fa": {
        "greetings": ("سلام،", "سلام وقت بخیر،", "با سلام و احترام،", "درود،"),
        "signoffs": ("ممنون،", "با احترام،", "سپاس،"),
        "replies": (
            "{name} عزیز، از پیام شما متشکریم. {fix}.",
            "{name} گرامی، بابت این مشکل عذرخواهی می‌کنم. {fix}.",
            "سلام {name}، ممنون از توضیحات. {fix}.",
        ),
        "agent_follow": (
            "لطفاً از پیام خطا یک تصویر بفرستید.",
            "از کدام مرورگر و چه نسخه‌ای استفاده می‌کنید؟",
            "لطفاً شماره سفارش را تأیید کنید.",
            "موضوع را به همکاران متخصص سپردم و به‌زودی خبر می‌دهم.",
        ),
        "agent_close": (
            "خوشحالم که مشکل حل شد. این درخواست را می‌بندم؛ اگر سؤالی بود همین‌جا پاسخ دهید.",
            "خواهش می‌کنم! روز خوبی داشته باشید.",
        ),
        "customer_follow": (
            "ممنون، امتحان کردم ولی هنوز درست نشده.",
            "تصویر صفحه‌ای که خواسته بودید را فرستادم.",
            "شماره سفارش {order} است.",
            "خبری نشد؟",
            "یک بار درست کار کرد و دوباره خطا داد.",
        ),
        "customer_thanks": (
            "مشکل حل شد، خیلی ممنون!",
            "عالی بود، ممنون از پاسخ سریع‌تان.",
            "همه چیز درست است، سپاس.",
            "ممنون، می‌توانید درخواست را ببندید.",
        ),
        "notes": (
            "مشتری طرح {plan} دارد، CRM بررسی شد.",
            "از واحد مالی خواستم گزارش درگاه پرداخت را بررسی کند.",
            "خطای شناخته‌شده است، به تیکت فنی وصل شد.",
            "با مشتری تماس گرفتم، پاسخ نداد.",
            "احتمالاً درخواست تکراری است.",
        ),
        "ack": "درخواست شما (#{tid}) دریافت شد. همکاران ما به‌زودی پاسخ می‌دهند.",
        "chat_ack": "از پیام شما ممنونیم! یکی از همکاران تا چند لحظه دیگر وارد گفتگو می‌شود.",
        "call_in": "تماس تلفنی",
        "call_out": "خلاصه تماس",
        "nudge": "درخواست من به کجا رسید؟",
        "survey": "درخواست شما (#{tid}) حل شد. از پشتیبانی ما راضی بودید؟ پاسخ یک دقیقه طول می‌کشد: {url}",
        "proactive": (
            "{name} عزیز، متوجه شدیم پرداخت اخیر شما ناموفق بوده و خواستیم کمک کنیم.",
            "{name} گرامی، طرح {plan} شما هفته آینده تمدید می‌شود؛ اگر تغییری می‌خواهید همین‌جا بنویسید.",
        ),
    },
    "ar": {
        "greetings": ("مرحبًا،", "السلام عليكم،", "صباح الخير،", "تحية طيبة،"),
        "signoffs": ("شكرًا،", "مع التحية،", "تحياتي،"),
        "replies": (
            "شكرًا لتواصلك يا {name}. {fix}.",
            "نعتذر عن الإزعاج يا {name}. {fix}.",
            "مرحبًا {name}، شكرًا على التفاصيل. {fix}.",
        ),
        "agent_follow": (
            "هل يمكنك إرسال لقطة شاشة للخطأ؟",
            "ما المتصفح والإصدار الذي تستخدمه؟",
            "هل يمكنك تأكيد رقم الطلب؟",
            "حوّلت الطلب إلى المختصين وسأوافيك بالمستجدات قريبًا.",
        ),
        "agent_close": (
            "يسعدني أن المشكلة حُلّت. سأغلق هذا الطلب، ويمكنك الرد في أي وقت.",
            "على الرحب والسعة! يومك سعيد.",
        ),
        "customer_follow": (
            "شكرًا، جربت ذلك لكن المشكلة ما زالت قائمة.",
            "أرسلت لكم لقطة الشاشة المطلوبة.",
            "رقم الطلب هو {order}.",
            "هل من جديد؟",
            "نجح الأمر مرة ثم فشل مجددًا.",
        ),
        "customer_thanks": (
            "تم حل المشكلة، شكرًا جزيلًا!",
            "رائع، شكرًا على المساعدة السريعة.",
            "كل شيء يعمل الآن، شكرًا.",
            "شكرًا، يمكنكم إغلاق الطلب.",
        ),
        "notes": (
            "العميل على خطة {plan}، تمت مراجعة نظام CRM.",
            "طلبت من قسم الفوترة مراجعة سجل بوابة الدفع.",
            "مشكلة معروفة، تم ربطها بتذكرة الهندسة.",
            "اتصلت بالعميل ولم يرد.",
            "ربما طلب مكرر.",
        ),
        "ack": "تم استلام طلبك (#{tid}). سيرد عليك أحد أعضاء فريقنا قريبًا.",
        "chat_ack": "شكرًا لرسالتك! سينضم أحد الموظفين إلى المحادثة خلال لحظات.",
        "call_in": "مكالمة هاتفية",
        "call_out": "ملخص المكالمة",
        "nudge": "هل من جديد بخصوص طلبي؟",
        "survey": "تم حل طلبك (#{tid}). ما رأيك في خدمتنا؟ لن يستغرق الأمر أكثر من دقيقة: {url}",
        "proactive": (
            "مرحبًا {name}، لاحظنا فشل عملية دفع في حسابك وأردنا مساعدتك.",
            "مرحبًا {name}، تتجدد خطة {plan} الأسبوع القادم؛ أخبرنا هنا إن أردت تغييرها.",
        ),
    },
}

# Survey comments, by whether the customer was satisfied.
SURVEY_COMMENTS = {
    "en": {
        "good": (
            "Quick and friendly, thank you!",
            "Solved on the first try.",
            "Very helpful agent.",
            "Great service as always.",
        ),
        "bad": (
            "It took far too long to get an answer.",
            "I had to explain my problem three times.",
            "The issue came back the next day.",
            "Nobody called me back.",
        ),
    },
    "fa": {
        "good": ("سریع و مودبانه بود، ممنون!", "همان بار اول حل شد.", "کارشناس بسیار کمک کرد.", "مثل همیشه عالی."),
        "bad": (
            "پاسخ خیلی دیر رسید.",
            "مجبور شدم مشکلم را سه بار توضیح بدهم.",
            "مشکل فردای آن روز دوباره پیش آمد.",
            "کسی با من تماس نگرفت.",
        ),
    },
    "ar": {
        "good": (
            "خدمة سريعة ولطيفة، شكرًا!",
            "تم الحل من المحاولة الأولى.",
            "الموظف كان متعاونًا جدًا.",
            "خدمة ممتازة كالعادة.",
        ),
        "bad": (
            "تأخر الرد كثيرًا.",
            "اضطررت لشرح مشكلتي ثلاث مرات.",
            "عادت المشكلة في اليوم التالي.",
            "لم يتصل بي أحد.",
        ),
    },
}
