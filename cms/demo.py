"""Demo catalogue (called by `manage.py seed_demo` after producers.demo): categories,
certifications, a page for each demo producer group, about sixty products with prices in baht, and
a story about the offtake MOU signing.

Idempotent: categories and certifications are keyed by slug, products by SKU, the story by slug;
what exists is left as it is. Photos are drawn here with Pillow (patterns in each group's
colours, with the product's English name), so the demo needs no network and no stock images.

Why one module of ~1,270 lines: about 860 of them are the demo catalogue's content (GROUPS: each
group's products, Thai and English names, prices and looks), data written and reviewed together
with the drawing and seeding code below it, which is ~280 lines. It is read by nothing but
`seed_demo` and its tests.
"""

from __future__ import annotations

import datetime
import io
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.images import ImageFile
from django.db import transaction
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont
from wagtail.images import get_image_model
from wagtail.rich_text import RichText

from producers.models import ProducerGroup

from .models import Category, Certification, ProducerGroupPage, ProductPage, StoriesIndexPage, StoryPage, Unit
from .services import ensure_group_access

# slug, Thai, English
CATEGORIES = [
    ("silk", "ผ้าไหม", "Silk"),
    ("rice", "ข้าว", "Rice"),
    ("processed-food", "อาหารแปรรูป", "Processed food"),
    ("basketry", "เครื่องจักสาน", "Basketry"),
    ("household-goods", "เครื่องใช้", "Household goods"),
]

# kind, OTOP stars, slug, Thai, English
CERTIFICATIONS = [
    *[
        (Certification.Kind.OTOP, stars, f"otop-{stars}", f"OTOP {stars} ดาว", f"OTOP {stars} stars")
        for stars in range(1, 6)
    ],
    (Certification.Kind.THAI_GAP, None, "thai-gap", "มาตรฐาน Thai GAP", "Thai GAP"),
    (Certification.Kind.ORGANIC, None, "organic-thailand", "เกษตรอินทรีย์ Organic Thailand", "Organic Thailand"),
    (Certification.Kind.HALAL, None, "halal", "ฮาลาล", "Halal"),
    (
        Certification.Kind.COMMUNITY,
        None,
        "community-product-standard",
        "มาตรฐานผลิตภัณฑ์ชุมชน (มผช.)",
        "Thai Community Product Standard (TCPS)",
    ),
]


@dataclass(frozen=True)
class Look:
    """How a group's photos are drawn: a pattern and three colours."""

    pattern: str
    background: str
    main: str
    accent: str


@dataclass(frozen=True)
class Product:
    sku: str
    title: str
    title_en: str
    category: str
    unit: str
    price: str
    stock: int
    capacity: int
    description: str
    description_en: str
    certifications: tuple[str, ...] = ()
    min_order: int = 1
    lead_time_days: int | None = None
    shelf_life_days: int | None = None
    storage: str | None = None
    months: tuple[int, ...] = ()
    pattern: str | None = None  # overrides the group's
    photos: int = 1


@dataclass(frozen=True)
class DemoGroup:
    profile: str
    profile_en: str
    look: Look
    products: list[Product] = field(default_factory=list)


# Defaults per category: lead time (days), shelf life (days), storage.
CATEGORY_DEFAULTS = {
    "silk": (21, None, "เก็บในที่แห้ง พ้นแสงแดด ซักด้วยมือ"),
    "rice": (7, 365, "เก็บในที่แห้งและเย็น ปิดปากถุงให้สนิท"),
    "processed-food": (5, 180, "เก็บในที่แห้ง พ้นแสงแดด เปิดแล้วเก็บในตู้เย็น"),
    "basketry": (14, None, "เก็บในที่แห้ง มีลมผ่าน"),
    "household-goods": (14, None, "เก็บในที่แห้ง มีลมผ่าน"),
}

SILK = "silk"
RICE = "rice"
FOOD = "processed-food"
BASKETRY = "basketry"
HOUSEHOLD = "household-goods"
M, PIECE, KG, PACK, JAR, BOTTLE, SET, BOX = (
    Unit.METRE,
    Unit.PIECE,
    Unit.KG,
    Unit.PACK,
    Unit.JAR,
    Unit.BOTTLE,
    Unit.SET,
    Unit.BOX,
)
TCPS = "community-product-standard"
ORGANIC = "organic-thailand"
GAP = "thai-gap"

GROUPS: dict[str, DemoGroup] = {
    "KSU-SILK-PHRAEWA": DemoGroup(
        "ช่างทอบ้านโพนสืบทอดการทอผ้าไหมแพรวาลายขิดของชาวผู้ไทมาหลายชั่วอายุคน สมาชิกเลี้ยงไหม สาวไหม ย้อมสีธรรมชาติ และทอด้วยมือทุกผืน",
        "The weavers of Ban Phon carry on the Phu Thai tradition of Phrae Wa silk. Members raise the "
        "silkworms, reel and dye the thread with natural colours and weave every piece by hand.",
        Look("silk", "#6b1d2f", "#d4a017", "#1f3b73"),
        [
            Product(
                "PW-001",
                "ผ้าไหมแพรวาย้อมคราม",
                "Indigo-dyed Phrae Wa silk",
                SILK,
                M,
                "3500",
                24,
                30,
                "ผ้าไหมแพรวาทอมือ ย้อมครามธรรมชาติ หน้ากว้าง 1 เมตร ลายขิดดั้งเดิม",
                "Hand-woven Phrae Wa silk dyed with natural indigo, one metre wide, traditional khit pattern.",
                ("otop-5", TCPS),
                photos=2,
            ),
            Product(
                "PW-002",
                "ผ้าสไบไหมแพรวาลายดั้งเดิม",
                "Traditional Phrae Wa silk shawl",
                SILK,
                PIECE,
                "6500",
                6,
                4,
                "สไบไหมแพรวาลายโบราณ ทอเก็บลายทั้งผืน ใช้เวลาทอราวหนึ่งเดือน",
                "A Phrae Wa shawl with an old pattern picked into the whole cloth; about a month's weaving.",
                ("otop-5",),
                photos=2,
            ),
            Product(
                "PW-003",
                "ผ้าไหมแพรวาสีธรรมชาติ",
                "Natural-dye Phrae Wa silk",
                SILK,
                M,
                "2900",
                30,
                40,
                "ย้อมสีจากเปลือกไม้ ครั่ง และขมิ้น สีอ่อนนุ่มไม่ฉูดฉาด",
                "Dyed with bark, lac and turmeric: soft, quiet colours.",
                ("otop-4",),
            ),
            Product(
                "PW-004",
                "ผ้าพันคอไหมแพรวา",
                "Phrae Wa silk scarf",
                SILK,
                PIECE,
                "1200",
                40,
                60,
                "ผ้าพันคอไหมแพรวา ขนาด 30 × 180 ซม. เหมาะเป็นของขวัญ",
                "A Phrae Wa silk scarf, 30 × 180 cm; a fine gift.",
                ("otop-4",),
            ),
            Product(
                "PW-005",
                "กระเป๋าถือผ้าไหมแพรวา",
                "Phrae Wa silk handbag",
                SILK,
                PIECE,
                "890",
                25,
                40,
                "กระเป๋าถือบุซับใน ตัดเย็บจากเศษผ้าไหมแพรวาที่เหลือจากการทอ",
                "A lined handbag sewn from Phrae Wa silk left over from the looms.",
            ),
            Product(
                "PW-006",
                "เนคไทผ้าไหมแพรวา",
                "Phrae Wa silk necktie",
                SILK,
                PIECE,
                "650",
                50,
                80,
                "เนคไทผ้าไหมแพรวา ลายขิดเล็ก เหมาะกับชุดทำงาน",
                "A necktie in small-pattern Phrae Wa silk, for office wear.",
            ),
            Product(
                "PW-007",
                "ปลอกหมอนอิงผ้าไหมแพรวา",
                "Phrae Wa silk cushion cover",
                SILK,
                PIECE,
                "450",
                35,
                60,
                "ปลอกหมอนอิง 45 × 45 ซม. มีซิปซ่อน",
                "A 45 × 45 cm cushion cover with a hidden zip.",
            ),
            Product(
                "PW-008",
                "ผ้าคลุมไหล่ไหมแพรวาย้อมครั่ง",
                "Lac-dyed Phrae Wa silk stole",
                SILK,
                PIECE,
                "2400",
                10,
                12,
                "ผ้าคลุมไหล่สีแดงครั่ง ทอลายขิดทั้งผืน",
                "A lac-red stole with khit pattern throughout.",
                ("otop-5",),
            ),
        ],
    ),
    "KSU-RICE-KAMALASAI": DemoGroup(
        "สมาชิกปลูกข้าวหอมมะลิอินทรีย์บนที่นาริมลำน้ำปาว ได้รับรองมาตรฐาน Organic Thailand สีข้าวเองที่โรงสีชุมชนและบรรจุตามคำสั่งซื้อ",
        "Members farm organic jasmine rice along the Pao river, certified Organic Thailand. The group "
        "mills its own rice at the community mill and packs to order.",
        Look("grain", "#e8dcc0", "#fbf7ec", "#2e6b30"),
        [
            Product(
                "KM-001",
                "ข้าวหอมมะลิอินทรีย์",
                "Organic jasmine rice (Hom Mali)",
                RICE,
                KG,
                "85",
                4000,
                10000,
                "ข้าวหอมมะลิ 105 อินทรีย์ สีใหม่ทุกสัปดาห์ หอมนุ่ม",
                "Organic Hom Mali 105 rice, milled fresh every week: fragrant and soft.",
                (ORGANIC, GAP),
                min_order=5,
                photos=2,
            ),
            Product(
                "KM-002",
                "ข้าวกล้องหอมมะลิอินทรีย์",
                "Organic brown jasmine rice",
                RICE,
                KG,
                "90",
                1500,
                4000,
                "ข้าวกล้องหอมมะลิอินทรีย์ คงจมูกข้าวและใยอาหาร",
                "Organic brown jasmine rice, with the germ and bran kept.",
                (ORGANIC,),
                min_order=5,
            ),
            Product(
                "KM-003",
                "ข้าวไรซ์เบอร์รี่อินทรีย์",
                "Organic Riceberry rice",
                RICE,
                KG,
                "120",
                800,
                2000,
                "ข้าวไรซ์เบอร์รี่สีม่วงเข้ม ปลูกแบบอินทรีย์",
                "Deep purple Riceberry rice, organically grown.",
                (ORGANIC,),
                min_order=5,
            ),
            Product(
                "KM-004",
                "ข้าวเหนียวเขี้ยวงู",
                "Khiao Ngu glutinous rice",
                RICE,
                KG,
                "70",
                2000,
                5000,
                "ข้าวเหนียวพันธุ์พื้นเมืองของกาฬสินธุ์ เมล็ดเรียวยาว นึ่งแล้วนุ่มนาน",
                "Kalasin's own glutinous rice: long, slender grains that stay soft after steaming.",
                (GAP,),
                min_order=5,
            ),
            Product(
                "KM-005",
                "ข้าวหอมมะลิอินทรีย์ ถุงสุญญากาศ 1 กก.",
                "Organic jasmine rice, 1 kg vacuum pack",
                RICE,
                PACK,
                "95",
                1200,
                3000,
                "บรรจุถุงสุญญากาศ เก็บได้นาน เหมาะเป็นของฝาก",
                "Vacuum-packed to keep; a good gift.",
                (ORGANIC,),
                pattern="pack",
            ),
            Product(
                "KM-006",
                "ข้าวกล้องงอกหอมมะลิ 500 กรัม",
                "Germinated brown jasmine rice, 500 g",
                RICE,
                PACK,
                "65",
                600,
                1500,
                "ข้าวกล้องงอก มีสาร GABA สูง หุงง่าย",
                "Germinated brown rice, rich in GABA and easy to cook.",
                (TCPS,),
                pattern="pack",
            ),
            Product(
                "KM-007",
                "ข้าวเกรียบข้าวหอมมะลิ",
                "Jasmine rice crackers",
                FOOD,
                PACK,
                "35",
                400,
                1200,
                "ข้าวเกรียบทำจากข้าวหอมมะลิอินทรีย์ อบกรอบ ไม่ใส่ผงชูรส",
                "Crackers made from organic jasmine rice, baked crisp, no MSG.",
                (TCPS,),
                shelf_life_days=120,
                pattern="pack",
            ),
            Product(
                "KM-008",
                "แป้งข้าวหอมมะลิอินทรีย์",
                "Organic jasmine rice flour",
                RICE,
                KG,
                "110",
                200,
                600,
                "แป้งข้าวโม่ละเอียด สำหรับทำขนมและอาหารปราศจากกลูเตน",
                "Finely milled rice flour for sweets and gluten-free cooking.",
                (ORGANIC,),
            ),
        ],
    ),
    "KSU-PLARA-YANGTALAT": DemoGroup(
        "กลุ่มแม่บ้านยางตลาดหมักปลาร้าจากปลาน้ำจืดในเขื่อนลำปาว ด้วยสูตรที่สืบทอดกันมา สะอาด ได้มาตรฐานผลิตภัณฑ์ชุมชน",
        "The women of Yang Talat ferment freshwater fish from the Lam Pao reservoir to recipes handed "
        "down in their families, in a clean kitchen certified to the community product standard.",
        Look("jar", "#f3e3c3", "#8a5a2b", "#b22222"),
        [
            Product(
                "YT-001",
                "ปลาร้าบอง",
                "Pla ra bong (spiced fermented fish dip)",
                FOOD,
                JAR,
                "60",
                300,
                1000,
                "ปลาร้าสับผัดกับตะไคร้ ข่า และพริก พร้อมรับประทานกับผักสด",
                "Fermented fish pounded with lemongrass, galangal and chilli; eat with fresh vegetables.",
                (TCPS, "otop-3"),
                photos=2,
            ),
            Product(
                "YT-002",
                "ปลาส้ม",
                "Pla som (fermented fish)",
                FOOD,
                PACK,
                "120",
                200,
                800,
                "ปลาตะเพียนหมักข้าวและกระเทียม 3 วัน ทอดหรือนึ่งก็อร่อย",
                "Silver barb fermented with rice and garlic for three days; fry or steam it.",
                (TCPS,),
                shelf_life_days=10,
                storage="เก็บในตู้เย็น 0–4 °C",
                pattern="pack",
            ),
            Product(
                "YT-003",
                "แจ่วบอง",
                "Jaew bong (chilli and fermented fish paste)",
                FOOD,
                JAR,
                "55",
                250,
                900,
                "แจ่วบองรสจัดจ้าน เข้ากับข้าวเหนียวและผักลวก",
                "A fiery paste for sticky rice and blanched vegetables.",
                (TCPS,),
            ),
            Product(
                "YT-004",
                "ปลาร้าสับ",
                "Minced fermented fish",
                FOOD,
                JAR,
                "50",
                250,
                900,
                "ปลาร้าสับสุก ปรุงรสพร้อมใช้ทำอาหารอีสาน",
                "Cooked minced pla ra, seasoned, ready for Isan cooking.",
                (TCPS,),
            ),
            Product(
                "YT-005",
                "น้ำปลาร้าต้มสุกปรุงรส",
                "Cooked seasoned pla ra sauce",
                FOOD,
                BOTTLE,
                "45",
                500,
                2000,
                "น้ำปลาร้าต้มสุก ผ่านการกรอง ใช้ปรุงส้มตำและแกง",
                "Boiled and filtered fermented fish sauce for papaya salad and curries.",
                ("otop-4", TCPS),
            ),
            Product(
                "YT-006",
                "ปลาแดดเดียว",
                "Sun-dried fish",
                FOOD,
                PACK,
                "150",
                120,
                400,
                "ปลานิลแดดเดียว หมักเกลือพอดี ทอดแล้วกรอบนอกนุ่มใน",
                "Lightly salted, once-sun-dried tilapia: crisp outside, tender inside when fried.",
                shelf_life_days=30,
                storage="เก็บในช่องแช่แข็ง",
                pattern="pack",
            ),
            Product(
                "YT-007",
                "ปลาร้าผงปรุงรส",
                "Pla ra seasoning powder",
                FOOD,
                PACK,
                "39",
                300,
                1200,
                "ปลาร้าผงอบแห้ง พกพาสะดวก ใช้แทนน้ำปลาร้า",
                "Dried fermented fish powder, easy to carry, in place of the sauce.",
                (TCPS,),
                pattern="pack",
            ),
        ],
    ),
    "KSU-CHILLI-SAHATSAKHAN": DemoGroup(
        "แม่บ้านสหัสขันธ์ทำน้ำพริกจากพริกและหอมกระเทียมที่ปลูกในชุมชน ปลาจากเขื่อนลำปาว ไม่ใส่สารกันบูด",
        "The Sahatsakhan women make chilli pastes from chillies, shallots and garlic grown in the "
        "village and fish from the Lam Pao reservoir, with no preservatives.",
        Look("jar", "#fbe9d0", "#c0392b", "#3d2b1f"),
        [
            Product(
                "SK-001",
                "น้ำพริกเผา",
                "Roasted chilli paste (nam phrik phao)",
                FOOD,
                JAR,
                "65",
                400,
                1500,
                "พริกแห้ง หอม กระเทียม คั่วแล้วเคี่ยวกับน้ำมะขามเปียก หวานเผ็ดกลมกล่อม",
                "Dried chillies, shallots and garlic, roasted and simmered with tamarind: sweet and hot.",
                (TCPS, "otop-4"),
                photos=2,
            ),
            Product(
                "SK-002",
                "น้ำพริกปลาย่าง",
                "Grilled fish chilli paste",
                FOOD,
                JAR,
                "60",
                300,
                1000,
                "ปลาช่อนย่างถ่านตำกับพริกและหอมเผา",
                "Charcoal-grilled snakehead fish pounded with chillies and roasted shallots.",
                (TCPS,),
            ),
            Product(
                "SK-003",
                "น้ำพริกตาแดง",
                "Nam phrik ta daeng (dry red chilli dip)",
                FOOD,
                JAR,
                "55",
                300,
                1000,
                "น้ำพริกแห้งสีแดงสด เผ็ดกำลังดี เก็บได้นาน",
                "A bright red, dry chilli dip, nicely hot, that keeps well.",
                (TCPS,),
            ),
            Product(
                "SK-004",
                "น้ำพริกกุ้งเสียบ",
                "Dried shrimp chilli paste",
                FOOD,
                JAR,
                "85",
                150,
                500,
                "กุ้งแห้งคั่วกรอบ ผัดกับพริกเผา",
                "Crisp roasted dried shrimp cooked with roasted chilli.",
                (TCPS,),
            ),
            Product(
                "SK-005",
                "น้ำพริกนรก",
                "Nam phrik narok (hot chilli relish)",
                FOOD,
                JAR,
                "60",
                250,
                900,
                "น้ำพริกเผ็ดจัด สำหรับคนชอบรสแรง",
                "A very hot relish for those who like it strong.",
                (TCPS,),
            ),
            Product(
                "SK-006",
                "ชุดน้ำพริกของฝาก 3 รส",
                "Chilli paste gift set, three flavours",
                FOOD,
                SET,
                "180",
                80,
                300,
                "น้ำพริกเผา น้ำพริกปลาย่าง และน้ำพริกตาแดง ในกล่องกระดาษรีไซเคิล",
                "Roasted chilli, grilled fish and dry red chilli pastes in a recycled paper box.",
                ("otop-4",),
                pattern="pack",
            ),
            Product(
                "SK-007",
                "น้ำพริกเห็ดสามรส",
                "Three-flavour mushroom chilli paste",
                FOOD,
                JAR,
                "65",
                120,
                400,
                "เห็ดป่าตามฤดูกาลผัดกับพริก เปรี้ยว หวาน เผ็ด ไม่มีเนื้อสัตว์",
                "Wild mushrooms of the season cooked with chilli: sour, sweet and hot, with no meat.",
                ("halal", TCPS),
                months=(6, 7, 8, 9, 10),
            ),
        ],
    ),
    "KSU-BASKET-KUCHINARAI": DemoGroup(
        "ช่างจักสานกุฉินารายณ์ใช้ไม้ไผ่บ้านที่ปลูกในหมู่บ้าน จักตอก สาน และรมควันกันมอด ทุกชิ้นทำมือ",
        "The Kuchinarai basket makers grow their own bamboo, split it, weave it and smoke it against "
        "borers. Every piece is made by hand.",
        Look("weave", "#c8a165", "#e9d2a3", "#7a5230"),
        [
            Product(
                "KC-001",
                "กระติบข้าว",
                "Sticky rice basket (kratip)",
                BASKETRY,
                PIECE,
                "180",
                120,
                300,
                "กระติบไม้ไผ่สองชั้น เก็บข้าวเหนียวให้อุ่นและนุ่มได้นาน",
                "A double-walled bamboo basket that keeps sticky rice warm and soft.",
                ("otop-4",),
                photos=2,
            ),
            Product(
                "KC-002",
                "หวดนึ่งข้าวเหนียว",
                "Bamboo rice-steaming basket (huad)",
                BASKETRY,
                PIECE,
                "120",
                150,
                400,
                "หวดไม้ไผ่สานแน่น ใช้คู่กับหม้อนึ่ง",
                "A tightly woven bamboo cone for the steaming pot.",
            ),
            Product(
                "KC-003",
                "ชุดกระติบข้าวพร้อมถาด",
                "Kratip set with tray",
                BASKETRY,
                SET,
                "320",
                40,
                100,
                "กระติบข้าว 2 ใบ พร้อมถาดไม้ไผ่ เหมาะกับร้านอาหารอีสาน",
                "Two sticky rice baskets on a bamboo tray, for Isan restaurants.",
                ("otop-4",),
            ),
            Product(
                "KC-004",
                "ตะกร้าไม้ไผ่สานมีหูหิ้ว",
                "Bamboo basket with handle",
                BASKETRY,
                PIECE,
                "250",
                60,
                150,
                "ตะกร้าทรงกลม หูหิ้วหวาย ใส่ผักผลไม้หรือของขวัญ",
                "A round basket with a rattan handle for fruit, vegetables or gifts.",
            ),
            Product(
                "KC-005",
                "กระเป๋าสานไม้ไผ่",
                "Woven bamboo handbag",
                BASKETRY,
                PIECE,
                "450",
                30,
                60,
                "กระเป๋าถือสานลายขัด บุผ้าฝ้ายด้านใน",
                "A handbag in plain weave, lined with cotton.",
                ("otop-3",),
            ),
            Product(
                "KC-006",
                "กล่องทิชชูไม้ไผ่สาน",
                "Woven bamboo tissue box",
                HOUSEHOLD,
                PIECE,
                "220",
                50,
                120,
                "กล่องทิชชูสานลายสอง เคลือบแล็กเกอร์กันชื้น",
                "A twill-woven tissue box, lacquered against damp.",
            ),
            Product(
                "KC-007",
                "โคมไฟไม้ไผ่สาน",
                "Woven bamboo lampshade",
                HOUSEHOLD,
                PIECE,
                "650",
                20,
                40,
                "โคมไฟแขวนเส้นผ่านศูนย์กลาง 40 ซม. แสงลอดลายสานสวยงาม",
                "A 40 cm hanging shade that throws the weave's pattern as light.",
            ),
            Product(
                "KC-008",
                "ถาดไม้ไผ่สาน",
                "Woven bamboo tray",
                BASKETRY,
                PIECE,
                "160",
                80,
                200,
                "ถาดสานขอบไม้ไผ่ ใช้เสิร์ฟอาหารหรือจัดวางของ",
                "A tray with a bamboo rim, to serve food or hold things.",
            ),
        ],
    ),
    "KSU-RICE-KASETWISAI": DemoGroup(
        "สมาชิกปลูกข้าวหอมมะลิในทุ่งกุลาร้องไห้ อาศัยน้ำฝนและดินเค็มเล็กน้อยที่ทำให้ข้าวหอมเป็นพิเศษ",
        "Members grow jasmine rice on the Thung Kula Rong Hai plain, rain-fed, in the slightly saline "
        "soil that gives the rice its fragrance.",
        Look("grain", "#dcc9a0", "#fffaf0", "#8b4513"),
        [
            Product(
                "TK-001",
                "ข้าวหอมมะลิทุ่งกุลาร้องไห้",
                "Thung Kula Rong Hai jasmine rice",
                RICE,
                KG,
                "75",
                8000,
                20000,
                "ข้าวหอมมะลิ 105 จากทุ่งกุลาร้องไห้ เมล็ดยาวใส หอมธรรมชาติ",
                "Hom Mali 105 rice from the Thung Kula Rong Hai plain: long, clear grains, naturally fragrant.",
                (GAP,),
                min_order=10,
                photos=2,
            ),
            Product(
                "TK-002",
                "ข้าวหอมมะลิทุ่งกุลา ถุง 5 กก.",
                "Thung Kula jasmine rice, 5 kg bag",
                RICE,
                PACK,
                "350",
                900,
                2500,
                "บรรจุถุงพลาสติกหนา 5 กก. พร้อมหูหิ้ว",
                "In a strong 5 kg bag with a handle.",
                (GAP,),
                pattern="pack",
            ),
            Product(
                "TK-003",
                "ข้าวกล้องหอมมะลิทุ่งกุลา",
                "Thung Kula brown jasmine rice",
                RICE,
                KG,
                "80",
                1200,
                3000,
                "ข้าวกล้องซ้อมมือ เก็บคุณค่าของรำข้าว",
                "Hand-pounded brown rice, keeping the goodness of the bran.",
                (GAP,),
                min_order=5,
            ),
            Product(
                "TK-004",
                "ข้าวหอมมะลิแดง",
                "Red jasmine rice (Hom Mali Daeng)",
                RICE,
                KG,
                "95",
                500,
                1500,
                "ข้าวหอมมะลิแดง เมล็ดสีแดงอมน้ำตาล นุ่มกว่าข้าวกล้องทั่วไป",
                "Red jasmine rice with reddish-brown grains, softer than ordinary brown rice.",
                min_order=5,
            ),
            Product(
                "TK-005",
                "ข้าวเหนียว กข6",
                "RD6 glutinous rice",
                RICE,
                KG,
                "45",
                3000,
                8000,
                "ข้าวเหนียวพันธุ์ กข6 ที่คนอีสานนิยม นึ่งแล้วหอมนุ่ม",
                "RD6, Isan's favourite glutinous rice: fragrant and soft when steamed.",
                min_order=10,
            ),
            Product(
                "TK-006",
                "ข้าวหอมมะลิทุ่งกุลา กระสอบ 25 กก.",
                "Thung Kula jasmine rice, 25 kg sack",
                RICE,
                PACK,
                "1650",
                200,
                600,
                "สำหรับร้านอาหารและโรงอาหาร ส่งตรงจากโรงสีชุมชน",
                "For restaurants and canteens, straight from the community mill.",
                (GAP,),
                pattern="pack",
            ),
            Product(
                "TK-007",
                "ชาข้าวหอมมะลิคั่ว",
                "Roasted jasmine rice tea",
                FOOD,
                BOX,
                "120",
                150,
                400,
                "ข้าวหอมมะลิคั่วหอม ชงดื่มร้อนหรือเย็น กล่องละ 20 ซอง",
                "Roasted jasmine rice to brew hot or cold; 20 sachets a box.",
                (TCPS,),
                shelf_life_days=365,
                pattern="pack",
            ),
        ],
    ),
    "KSU-SILK-SELAPHUM": DemoGroup(
        "กลุ่มทอผ้าไหมมัดหมี่เสลภูมิมัดลายด้วยมือก่อนย้อม ลายนาคและลายขอเป็นเอกลักษณ์ของกลุ่ม",
        "The Selaphum weavers tie the mudmee patterns by hand before dyeing; the naga and hook "
        "patterns are the group's own.",
        Look("silk", "#2b1b4f", "#e0b0ff", "#f4c430"),
        [
            Product(
                "SP-001",
                "ผ้าไหมมัดหมี่ลายนาค",
                "Naga-pattern mudmee silk",
                SILK,
                M,
                "2200",
                40,
                50,
                "ผ้าไหมมัดหมี่ลายนาค ทอ 3 ตะกอ หน้ากว้าง 1 เมตร",
                "Naga-pattern mudmee silk, three-heddle weave, one metre wide.",
                ("otop-5", TCPS),
                photos=2,
            ),
            Product(
                "SP-002",
                "ผ้าซิ่นไหมมัดหมี่",
                "Mudmee silk sarong (pha sin)",
                SILK,
                PIECE,
                "4500",
                12,
                10,
                "ผ้าซิ่นสำเร็จรูป ต่อหัวและตีนซิ่น พร้อมสวมใส่",
                "A finished pha sin with waistband and hem, ready to wear.",
                ("otop-5",),
            ),
            Product(
                "SP-003",
                "ผ้าขาวม้าไหม",
                "Silk pha khao ma",
                SILK,
                PIECE,
                "850",
                60,
                80,
                "ผ้าขาวม้าไหมลายตาราง ใช้เป็นผ้าพันคอหรือผ้าคลุมได้",
                "A checked silk pha khao ma, to wear as a scarf or a wrap.",
            ),
            Product(
                "SP-004",
                "ผ้าไหมมัดหมี่ย้อมสีธรรมชาติ",
                "Natural-dye mudmee silk",
                SILK,
                M,
                "2600",
                25,
                30,
                "ย้อมด้วยใบหูกวาง ประดู่ และคราม",
                "Dyed with Indian almond leaves, padauk and indigo.",
                ("otop-4",),
            ),
            Product(
                "SP-005",
                "เสื้อเชิ้ตผ้าไหมมัดหมี่",
                "Mudmee silk shirt",
                SILK,
                PIECE,
                "1900",
                30,
                40,
                "เสื้อเชิ้ตแขนสั้น มีไซซ์ S ถึง XL",
                "A short-sleeved shirt, sizes S to XL.",
            ),
            Product(
                "SP-006",
                "ผ้าพันคอไหมมัดหมี่",
                "Mudmee silk scarf",
                SILK,
                PIECE,
                "690",
                70,
                100,
                "ผ้าพันคอขนาด 25 × 160 ซม. สีสันสดใส",
                "A bright 25 × 160 cm scarf.",
            ),
            Product(
                "SP-007",
                "ผ้าไหมพื้นทอเรียบ",
                "Plain-weave silk",
                SILK,
                M,
                "1500",
                50,
                80,
                "ผ้าไหมพื้นสีเดียว เหมาะตัดชุดทำงาน",
                "Single-colour plain silk, for tailored office wear.",
            ),
            Product(
                "SP-008",
                "กระเป๋าสตางค์ผ้าไหม",
                "Silk purse",
                SILK,
                PIECE,
                "290",
                80,
                150,
                "กระเป๋าสตางค์ซิปรอบ ผ้าไหมมัดหมี่",
                "A zip-round purse in mudmee silk.",
            ),
        ],
    ),
    "KSU-MAT-PHONTHONG": DemoGroup(
        "กลุ่มทอเสื่อกกโพนทองปลูกกกเอง ตาก ย้อมสี และทอลายขิดด้วยกี่พื้นบ้าน",
        "The Phon Thong mat weavers grow their own reeds, dry and dye them, and weave khit patterns on village looms.",
        Look("stripes", "#d9c58b", "#2f7f6f", "#a0303a"),
        [
            Product(
                "PT-001",
                "เสื่อกกทอลายขิด",
                "Khit-pattern reed mat",
                HOUSEHOLD,
                PIECE,
                "450",
                60,
                120,
                "เสื่อกกขนาด 150 × 200 ซม. ลายขิดสองสี",
                "A 150 × 200 cm reed mat with a two-colour khit pattern.",
                ("otop-4", TCPS),
                photos=2,
            ),
            Product(
                "PT-002",
                "เสื่อกกพับได้",
                "Folding reed mat",
                HOUSEHOLD,
                PIECE,
                "390",
                80,
                150,
                "เสื่อกกเย็บขอบผ้า พับเก็บง่าย",
                "A reed mat with cloth edges that folds away easily.",
                (TCPS,),
            ),
            Product(
                "PT-003",
                "ชุดที่รองจานเสื่อกก 6 ชิ้น",
                "Reed placemat set of six",
                HOUSEHOLD,
                SET,
                "180",
                100,
                250,
                "ที่รองจานเสื่อกก 6 ชิ้น ขนาด 30 × 45 ซม.",
                "Six 30 × 45 cm reed placemats.",
            ),
            Product(
                "PT-004",
                "กระเป๋าเสื่อกก",
                "Reed tote bag",
                HOUSEHOLD,
                PIECE,
                "290",
                70,
                150,
                "กระเป๋าสะพายไหล่จากเสื่อกก หูหนัง",
                "A reed shoulder tote with leather handles.",
                ("otop-3",),
            ),
            Product(
                "PT-005",
                "หมอนอิงเสื่อกก",
                "Reed cushion",
                HOUSEHOLD,
                PIECE,
                "250",
                50,
                100,
                "หมอนอิงหุ้มเสื่อกก ใส้ใยสังเคราะห์",
                "A reed-covered cushion with a polyester filling.",
            ),
            Product(
                "PT-006",
                "กล่องเก็บของเสื่อกก",
                "Reed storage box",
                HOUSEHOLD,
                PIECE,
                "220",
                60,
                120,
                "กล่องทรงเหลี่ยมพร้อมฝา ขนาด 30 × 20 × 15 ซม.",
                "A lidded box, 30 × 20 × 15 cm.",
                pattern="weave",
            ),
            Product(
                "PT-007",
                "ตะกร้าเสื่อกกใส่ผ้า",
                "Reed laundry basket",
                HOUSEHOLD,
                PIECE,
                "350",
                40,
                80,
                "ตะกร้าทรงสูงมีหูจับ ใส่ผ้าหรือของเล่น",
                "A tall basket with handles for laundry or toys.",
                pattern="weave",
            ),
        ],
    ),
}

STORY_SLUG = "kalasin-university-offtake-mou"


# --- Drawing -------------------------------------------------------------------------------

PHOTO_SIZE = (800, 600)


def _font(size: int):
    return ImageFont.load_default(size=size)


def _draw_silk(draw, rng, look):
    width, height = PHOTO_SIZE
    step = 60
    for row, y in enumerate(range(-step, height + step, step // 2)):
        for x in range(-step, width + step, step):
            offset = step // 2 if row % 2 else 0
            cx, cy = x + offset, y
            colour = look.main if (row + x // step) % 3 else look.accent
            draw.polygon([(cx, cy - 22), (cx + 22, cy), (cx, cy + 22), (cx - 22, cy)], fill=colour)
            draw.polygon([(cx, cy - 8), (cx + 8, cy), (cx, cy + 8), (cx - 8, cy)], fill=look.background)
    for y in range(0, height, 120):
        draw.rectangle([0, y, width, y + 6], fill=look.accent)


def _draw_grain(draw, rng, look):
    width, height = PHOTO_SIZE
    for _ in range(900):
        x, y = rng.randrange(width), rng.randrange(height)
        if rng.random() < 0.5:
            box = [x, y, x + rng.randint(12, 16), y + rng.randint(5, 7)]
        else:
            box = [x, y, x + rng.randint(5, 7), y + rng.randint(12, 16)]
        draw.ellipse(box, fill=look.main, outline="#c9b98f")
    # A bowl heaped with rice.
    draw.ellipse([250, 190, 550, 330], fill=look.main, outline="#c9b98f", width=3)
    draw.pieslice([220, 110, 580, 470], start=0, end=180, fill=look.accent)
    draw.rectangle([340, 460, 460, 480], fill=look.accent)


def _draw_jar(draw, rng, look):
    draw.rounded_rectangle([290, 110, 510, 160], radius=10, fill=look.accent)
    draw.rounded_rectangle([250, 160, 550, 500], radius=40, fill=look.main)
    draw.rounded_rectangle([275, 260, 525, 400], radius=12, fill="#fffaf0")
    for n in range(5):
        draw.ellipse([300 + n * 42, 300, 330 + n * 42, 330], fill=look.accent)


def _draw_pack(draw, rng, look):
    draw.polygon([(260, 110), (540, 110), (570, 500), (230, 500)], fill=look.main)
    draw.rectangle([260, 110, 540, 150], fill=look.accent)
    draw.rounded_rectangle([310, 220, 490, 400], radius=16, fill=look.background)
    for _ in range(120):
        x, y = rng.randint(318, 476), rng.randint(228, 388)
        draw.ellipse([x, y, x + 10, y + 5], fill="#fffaf0")


def _draw_weave(draw, rng, look):
    width, height = PHOTO_SIZE
    strip = 40
    for row, y in enumerate(range(0, height, strip)):
        for column, x in enumerate(range(0, width, strip)):
            over = (row // 2 + column) % 2 if row % 2 else (row // 2 + column + 1) % 2
            draw.rectangle([x + 2, y + 2, x + strip - 2, y + strip - 2], fill=look.main if over else look.accent)


def _draw_stripes(draw, rng, look):
    width, height = PHOTO_SIZE
    for y in range(0, height, 12):
        draw.rectangle([0, y, width, y + 5], fill=look.background if (y // 12) % 2 else "#e9dcae")
    for band in range(60, height, 150):
        for x in range(0, width, 40):
            draw.line([(x, band), (x + 20, band + 30), (x + 40, band)], fill=look.main, width=8)
            draw.line([(x, band + 40), (x + 20, band + 70), (x + 40, band + 40)], fill=look.accent, width=8)


DRAW = {
    "silk": _draw_silk,
    "grain": _draw_grain,
    "jar": _draw_jar,
    "pack": _draw_pack,
    "weave": _draw_weave,
    "stripes": _draw_stripes,
}


def draw_photo(*, pattern: str, look: Look, caption: str, seed: str) -> bytes:
    """An 800 × 600 JPEG illustration: the pattern in the group's colours, the caption below."""
    rng = random.Random(seed)
    image = PILImage.new("RGB", PHOTO_SIZE, look.background)
    draw = ImageDraw.Draw(image)
    DRAW[pattern](draw, rng, look)
    width, height = PHOTO_SIZE
    draw.rectangle([0, height - 70, width, height], fill="#1e1e1e")
    draw.text((24, height - 52), caption, font=_font(30), fill="#ffffff")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=82, optimize=True)
    return buffer.getvalue()


def _save_image(*, collection, title: str, filename: str, content: bytes):
    image = get_image_model()(title=title, collection=collection)
    image.file = ImageFile(io.BytesIO(content), name=filename)
    image.save()
    return image


# --- Seeding -------------------------------------------------------------------------------


def seed_categories() -> tuple[dict[str, Category], int]:
    categories, created = {}, 0
    for slug, name, name_en in CATEGORIES:
        category, was_created = Category.objects.get_or_create(slug=slug, defaults={"name": name, "name_en": name_en})
        categories[slug] = category
        created += was_created
    return categories, created


def seed_certifications() -> tuple[dict[str, Certification], int]:
    certifications, created = {}, 0
    for kind, stars, slug, name, name_en in CERTIFICATIONS:
        certification, was_created = Certification.objects.get_or_create(
            slug=slug, defaults={"kind": kind, "stars": stars, "name": name, "name_en": name_en}
        )
        certifications[slug] = certification
        created += was_created
    return certifications, created


def _fill_group_page(page: ProducerGroupPage, demo: DemoGroup, collection) -> bool:
    """Give a fresh group page its profile and a banner photo (once: an edited page is left alone)."""
    if page.profile:
        return False
    page.profile = demo.profile
    page.profile_en = demo.profile_en
    banner = _save_image(
        collection=collection,
        title=f"{page.title} (ภาพประกอบ)",
        filename=f"{page.slug}-banner.jpg",
        content=draw_photo(
            pattern=demo.look.pattern, look=demo.look, caption=page.title_en or page.slug, seed=page.slug
        ),
    )
    page.photos.create(image=banner, alt_text=f"ภาพวาดลวดลายประจำ{page.title}")
    page.save_revision().publish()
    return True


def _create_product(parent, spec: Product, look: Look, categories, certifications, collection) -> int:
    lead_time, shelf_life, storage = CATEGORY_DEFAULTS[spec.category]
    product = ProductPage(
        title=spec.title,
        title_en=spec.title_en,
        slug=spec.sku.lower(),
        category=categories[spec.category],
        description=f"<p>{spec.description}</p>",
        description_en=f"<p>{spec.description_en}</p>",
        unit=spec.unit,
        price=Decimal(spec.price),
        min_order_quantity=Decimal(spec.min_order),
        available_quantity=Decimal(spec.stock),
        monthly_capacity=Decimal(spec.capacity),
        lead_time_days=spec.lead_time_days or lead_time,
        seasonal_months=list(spec.months),
        shelf_life_days=spec.shelf_life_days or shelf_life,
        storage=spec.storage or storage,
        sku=spec.sku,
    )
    parent.add_child(instance=product)  # saving runs the page's full_clean(): prices, months, ...
    product.certifications.set([certifications[slug] for slug in spec.certifications])
    pattern = spec.pattern or look.pattern
    for n in range(spec.photos):
        # The second photo swaps the colours, so the two do not look the same.
        photo_look = look if n == 0 else Look(look.pattern, look.background, look.accent, look.main)
        image = _save_image(
            collection=collection,
            title=spec.title if n == 0 else f"{spec.title} ({n + 1})",
            filename=f"{spec.sku.lower()}-{n + 1}.jpg",
            content=draw_photo(pattern=pattern, look=photo_look, caption=spec.title_en, seed=f"{spec.sku}-{n}"),
        )
        product.gallery.create(image=image, alt_text=f"ภาพวาดประกอบ{spec.title}" + (f" ภาพที่ {n + 1}" if n else ""))
    product.save_revision().publish()
    return spec.photos


def _seed_story(groups: dict[str, ProducerGroup]) -> int:
    index = StoriesIndexPage.objects.order_by("path").first()
    if index is None or StoryPage.objects.filter(slug=STORY_SLUG).exists():
        return 0
    body = [
        (
            "paragraph",
            RichText(
                "<p>มหาวิทยาลัยกาฬสินธุ์ในฐานะหน่วยประสานงานโครงการแก้จนระดับพื้นที่ ลงนามบันทึกความเข้าใจ "
                "(MOU) กับบริษัทเอกชน 13 แห่ง ที่ตกลงรับซื้อผ้าไหม ข้าวหอมมะลิ อาหารแปรรูป "
                "และเครื่องจักสานจากกลุ่มวิสาหกิจชุมชนที่มีครัวเรือนยากจนเป้าหมายเป็นสมาชิก</p>"
            ),
        ),
        (
            "paragraph",
            RichText(
                "<p>ทุกคำสั่งซื้อภายใต้ MOU ผ่านตลาดชุมชนแห่งนี้ ระบบบันทึกว่าครัวเรือนใดส่งสินค้าเท่าใด "
                "และแบ่งรายได้ให้ครัวเรือนตามสัดส่วน เพื่อติดตามว่าครัวเรือนพ้นเส้นความยากจนได้จริง</p>"
            ),
        ),
        ("quote", "ตลาดที่แน่นอนคือสิ่งที่กลุ่มผู้ผลิตต้องการมากที่สุด"),
    ]
    body_en = [
        (
            "paragraph",
            RichText(
                "<p>Kalasin University, which coordinates the area-based poverty programme in the province, "
                "signed memoranda of understanding with 13 private companies that agreed to buy silk, "
                "jasmine rice, processed food and basketry from community enterprises whose members "
                "include the programme's target poor households.</p>"
            ),
        ),
        (
            "paragraph",
            RichText(
                "<p>Every order under these MOUs goes through this marketplace, which records how much "
                "each household supplied and shares the income out in proportion, so the programme can "
                "show which households have crossed the poverty line.</p>"
            ),
        ),
        ("quote", "A market they can count on is what producer groups need most."),
    ]
    story = StoryPage(
        title="มหาวิทยาลัยกาฬสินธุ์ลงนาม MOU รับซื้อสินค้าชุมชนกับ 13 บริษัท",
        title_en="Kalasin University signs offtake MOUs with 13 companies",
        slug=STORY_SLUG,
        # Demo content: the 13 MOUs of 2023 are from DESIGN.md; the day is illustrative.
        date=datetime.date(2023, 9, 1),
        intro="ก้าวสำคัญของการเชื่อมกลุ่มผู้ผลิตในพื้นที่กับผู้ซื้อรายใหญ่",
        intro_en="A milestone in linking local producer groups with large buyers.",
        body=body,
        body_en=body_en,
        related_group=groups.get("KSU-SILK-PHRAEWA"),
    )
    index.add_child(instance=story)
    story.save_revision().publish()
    return 1


@transaction.atomic
def seed() -> dict[str, int]:
    """Create what is missing of the demo catalogue; returns how many of each thing were created."""
    categories, categories_created = seed_categories()
    certifications, certifications_created = seed_certifications()
    groups = {group.code: group for group in ProducerGroup.objects.filter(code__in=GROUPS)}
    existing_skus = set(ProductPage.objects.filter(sku__in=_all_skus()).values_list("sku", flat=True))
    figures = {
        "categories": categories_created,
        "certifications": certifications_created,
        "group_pages_filled": 0,
        "products": 0,
        "images": 0,
        "stories": 0,
    }
    for code, demo in GROUPS.items():
        group = groups.get(code)
        if group is None:  # producers.demo makes the groups; nothing to hang products on without it
            continue
        access = ensure_group_access(group)
        if _fill_group_page(access.page, demo, access.collection):
            figures["group_pages_filled"] += 1
            figures["images"] += 1
        for spec in demo.products:
            if spec.sku in existing_skus:
                continue
            figures["images"] += _create_product(
                access.page, spec, demo.look, categories, certifications, access.collection
            )
            figures["products"] += 1
    figures["stories"] = _seed_story(groups)
    return figures


def _all_skus() -> list[str]:
    return [spec.sku for demo in GROUPS.values() for spec in demo.products]
