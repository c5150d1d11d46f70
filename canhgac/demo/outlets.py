"""Fictional news outlets and social pages about Cần Thơ, served on loopback
for the crawlers during ``canhgac demo``.

``build(root, end=...)`` writes a static site: five outlets (four Vietnamese,
one English) each with a feed (RSS 2.0, one Atom) and article pages carrying
their publication time in the page metadata; a Mastodon-compatible hashtag
timeline (``/api/v1/timelines/tag/cantho``, JSON) and a XenForo-style forum
(thread index and thread pages).  A week of ordinary city news before ``end``
(works, tourism, markets, schools, hospitals, administration: the baseline the
reputation rules compare with) is followed, in the last hours before ``end``,
by a flooding story: heavy rain and a high tide flood streets in Ninh Kiều,
Bình Thủy and Cái Răng, residents blame unfinished drainage works, and
near-identical versions of the report run in four Vietnamese outlets, the
English one, social posts and a forum thread.

Every page carries the mark ``Dữ liệu minh hoạ / demo data``; every text is
written for this demo; outlets, reporters and residents are fictional (places
and city bodies are Cần Thơ's real ones, so the NLP gazetteer links them).

``OutletServer`` serves the site with the standard library's
``ThreadingHTTPServer`` on 127.0.0.1 in a daemon thread: the site is static
files plus one substitution (the server's own base URL, unknown when the site
is written, replaces ``BASE_TOKEN`` in feeds, pages and JSON), which is why it
is a small handler rather than a plain file server.  ``sources(url)`` gives
the ``crawlers.sources`` entries for it and ``crawler_settings()`` the
politeness values that make a loopback crawl fast.
"""

from __future__ import annotations

import email.utils
import hashlib
import html
import io
import json
import random
import re
import threading
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEMO_MARK = "Dữ liệu minh hoạ / demo data"
BASE_TOKEN = "__CANHGAC_DEMO_BASE__"
LOCAL = timezone(timedelta(hours=7), "ICT")  # Cần Thơ's press dates pages in local time
TEXT_TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/xml; charset=utf-8",
              ".json": "application/json; charset=utf-8", ".txt": "text/plain; charset=utf-8"}
MASTODON_TAG_PATH = "/api/v1/timelines/tag/cantho"
FORUM_INDEX_PATH = "/dien-dan/forums/thoi-su-can-tho.html"
BASELINE_DAYS = 7


@dataclass(frozen=True)
class Outlet:
    """One fictional news outlet."""

    id: str
    name: str
    slug: str
    language: str
    feed: str  # "rss" | "atom"
    tagline: str


OUTLETS = (
    Outlet("demo-song-hau", "Báo Sông Hậu (demo)", "song-hau", "vi", "rss",
           "Tin tức thành phố Cần Thơ mỗi ngày"),
    Outlet("demo-tay-do-online", "Tây Đô Online (demo)", "tay-do-online", "vi", "rss",
           "Nhịp sống đô thị miền Tây"),
    Outlet("demo-mien-tay-nhanh", "Tin Nhanh Miền Tây (demo)", "mien-tay-nhanh", "vi", "atom",
           "Tin nóng đồng bằng"),
    Outlet("demo-phu-sa-fm", "Phát thanh Phù Sa (demo)", "phu-sa-fm", "vi", "rss",
           "Bản tin phát thanh Cần Thơ"),
    Outlet("demo-mekong-times", "Mekong City Times (demo)", "mekong-times", "en", "rss",
           "English-language news from the Mekong Delta"),
)
MASTODON = ("demo-social-cantho", "Mạng xã hội #CanTho (demo)")
FORUM = ("demo-forum-ninh-kieu", "Diễn đàn Cư dân Ninh Kiều (demo)")


@dataclass(frozen=True)
class Piece:
    """One article: its outlet, its age before ``end`` and its text.

    ``day`` is how many days before ``end`` (0: the last 24 hours), ``hours``
    how many more hours back; ``flood`` marks the pieces of the flood story."""

    outlet: str
    day: int
    hours: float
    title: str
    lead: str
    body: tuple[str, ...]
    author: str
    section: str
    flood: bool = False
    shared_lead: bool = False  # one of the near-identical reports of the flood story


@dataclass(frozen=True)
class Post:
    """One social post (Mastodon status or forum post)."""

    author: str
    day: int
    hours: float
    text: str
    flood: bool = False


@dataclass(frozen=True)
class Thread:
    """One forum thread: a title and its posts, oldest first."""

    id: int
    slug: str
    title: str
    posts: tuple[Post, ...]
    flood: bool = False


# --- the ordinary week: neutral and positive city news ------------------------
BASELINE = (
    # day 7
    Piece("demo-song-hau", 7, 3, "Cần Thơ khởi công mở rộng nút giao Nguyễn Văn Cừ – Mậu Thân",
          "Sở Giao thông vận tải thành phố Cần Thơ khởi công mở rộng nút giao giữa đường "
          "Nguyễn Văn Cừ và đường Mậu Thân ở quận Ninh Kiều, dự kiến hoàn thành sau tám "
          "tháng thi công.",
          ("Theo đơn vị thi công, phương án phân luồng đã được công bố trước để người dân chủ "
           "động chọn lộ trình. Các làn xe hiện hữu vẫn được giữ lại trong giờ cao điểm sáng "
           "và chiều.",
           "Sau khi hoàn thành, nút giao có thêm làn rẽ phải riêng và đèn tín hiệu kết nối với "
           "Trung tâm giám sát điều hành đô thị thông minh của thành phố."),
          "Thanh Tâm", "Giao thông"),
    Piece("demo-tay-do-online", 7, 6, "Chợ nổi Cái Răng đón đoàn khách quốc tế mở màn mùa du lịch",
          "Hơn hai trăm du khách từ một tàu du lịch quốc tế đã tham quan chợ nổi Cái Răng và "
          "bến Ninh Kiều trong buổi sáng, mở đầu mùa cao điểm du lịch của thành phố Cần Thơ.",
          ("Du khách được hướng dẫn viên giới thiệu cách thương hồ treo hàng trên cây bẹo, "
           "thưởng thức hủ tiếu và trái cây ngay trên ghe.",
           "Sở Văn hóa, Thể thao và Du lịch cho biết thành phố đang chuẩn bị thêm các điểm "
           "dừng chân và bảng chỉ dẫn song ngữ cho khách nước ngoài."),
          "Ngọc Hân", "Du lịch"),
    Piece("demo-mekong-times", 7, 9, "Can Tho rice exporters report steady orders ahead of harvest",
          "Rice traders in Can Tho say export orders have held steady this month, with buyers "
          "from the Philippines and Indonesia signing contracts for the coming harvest.",
          ("Warehouses near the Tra Noc industrial park are preparing for the new crop, and "
           "several mills have added drying capacity this year.",
           "Traders expect prices to stay close to last season's level, which farmers in the "
           "outlying districts describe as fair."),
          "Linh Tran", "Business"),
    Piece("demo-mien-tay-nhanh", 7, 5, "Quận Bình Thủy trồng thêm hai nghìn cây xanh dọc bờ sông",
          "Quận Bình Thủy phát động chương trình trồng thêm hai nghìn cây xanh dọc bờ sông Hậu "
          "và các tuyến đường mới, góp phần tạo mảng xanh cho thành phố Cần Thơ.",
          ("Đoàn viên thanh niên, học sinh và người dân các phường cùng tham gia trồng cây "
           "trong buổi sáng cuối tuần.",
           "Các loài cây được chọn là sao, dầu và bằng lăng, phù hợp với đất ven sông và cho "
           "bóng mát sau vài năm."),
          "Hữu Phước", "Môi trường"),
    # day 6
    Piece("demo-phu-sa-fm", 6, 4, "Đại học Cần Thơ mở thêm ngành đào tạo về chuyển đổi số",
          "Trường Đại học Cần Thơ công bố mở thêm hai ngành đào tạo về dữ liệu và chuyển đổi "
          "số từ năm học tới, đáp ứng nhu cầu nhân lực của các doanh nghiệp trong vùng.",
          ("Chương trình được xây dựng cùng các doanh nghiệp công nghệ, sinh viên thực tập từ "
           "năm thứ ba.",
           "Nhà trường dự kiến tuyển khoảng hai trăm sinh viên cho mỗi ngành trong năm đầu."),
          "Minh Khoa", "Giáo dục"),
    Piece("demo-song-hau", 6, 7, "Bệnh viện Nhi đồng Cần Thơ đưa vào sử dụng khu khám bệnh mới",
          "Bệnh viện Nhi đồng Cần Thơ đưa vào sử dụng khu khám bệnh mới với ba mươi phòng "
          "khám, khu chờ rộng rãi và hệ thống gọi số tự động.",
          ("Phụ huynh có thể đặt lịch khám trước qua tổng đài hoặc ứng dụng của bệnh viện.",
           "Sở Y tế đánh giá khu khám mới giúp rút ngắn thời gian chờ của bệnh nhi và gia đình."),
          "Lan Anh", "Sức khỏe"),
    Piece("demo-tay-do-online", 6, 2, "Chợ Tân An khang trang sau cải tạo, tiểu thương phấn khởi",
          "Chợ Tân An ở quận Ninh Kiều đã hoàn thành cải tạo mái che, lối đi và khu vệ sinh, "
          "các tiểu thương phấn khởi buôn bán trong không gian mới.",
          ("Nhiều tiểu thương cho biết sạp hàng mới sạch sẽ, thoáng mát và thuận tiện cho khách.",
           "Ban quản lý chợ bố trí thêm khu giữ xe và khu bán hàng nông sản cho nông dân ngoại "
           "thành."),
          "Quốc Bảo", "Thị trường"),
    Piece("demo-mekong-times", 6, 10, "Ninh Kieu wharf gets new evening lighting for visitors",
          "Ninh Kieu wharf has a new lighting system along the riverside promenade, part of a "
          "city plan to welcome more evening visitors to central Can Tho.",
          ("The lights are timed to dim late at night to save power and reduce glare on the "
           "river.",
           "Street performers and food vendors say the promenade has been busier since the "
           "lights were switched on."),
          "Staff reporter", "City"),
    # day 5
    Piece("demo-mien-tay-nhanh", 5, 3, "Quận Ninh Kiều nhận hồ sơ hành chính cả sáng thứ Bảy",
          "Bộ phận một cửa của UBND quận Ninh Kiều bắt đầu nhận và trả hồ sơ hành chính vào "
          "sáng thứ Bảy hằng tuần, giúp người đi làm không phải xin nghỉ.",
          ("Người dân cũng có thể nộp hồ sơ trực tuyến và nhận kết quả qua bưu điện.",
           "Quận cho biết sẽ đánh giá lượng hồ sơ sau ba tháng để mở rộng sang các phường."),
          "Hữu Phước", "Hành chính"),
    Piece("demo-phu-sa-fm", 5, 6, "Kênh rạch phường An Khánh sạch đẹp nhờ phân loại rác tại nguồn",
          "Hơn tám trăm hộ dân ở phường An Khánh, quận Ninh Kiều tham gia phân loại rác tại "
          "nguồn, nạo vét kênh rạch và trồng hoa ven bờ, môi trường khu dân cư xanh sạch hơn.",
          ("Mỗi hộ được phát hai thùng rác màu khác nhau và tài liệu hướng dẫn.",
           "Sở Tài nguyên và Môi trường dự kiến nhân rộng mô hình ra các phường khác trong năm."),
          "Minh Khoa", "Môi trường"),
    Piece("demo-song-hau", 5, 9, "Xe buýt điện nối bến xe trung tâm với sân bay Cần Thơ chạy thử",
          "Tuyến xe buýt điện nối Bến xe trung tâm Cần Thơ với Cảng hàng không quốc tế Cần Thơ "
          "bắt đầu chạy thử, mỗi chuyến cách nhau hai mươi phút.",
          ("Xe có chỗ để hành lý, wifi miễn phí và thanh toán bằng thẻ.",
           "Sở Giao thông vận tải sẽ lấy ý kiến hành khách trong tháng chạy thử trước khi khai "
           "thác chính thức."),
          "Thanh Tâm", "Giao thông"),
    Piece("demo-tay-do-online", 5, 5, "Học sinh Cần Thơ sôi nổi ngày hội khoa học kỹ thuật",
          "Hơn năm trăm học sinh trung học của thành phố Cần Thơ mang tới ngày hội khoa học kỹ "
          "thuật các mô hình về nông nghiệp thông minh, năng lượng sạch và giao thông.",
          ("Ban tổ chức chọn mười dự án tiêu biểu để dự thi cấp quốc gia.",
           "Sở Giáo dục và Đào tạo cho biết sẽ hỗ trợ các nhóm hoàn thiện sản phẩm."),
          "Ngọc Hân", "Giáo dục"),
    # day 4
    Piece("demo-mekong-times", 4, 4, "Volunteers clean up the banks of the Can Tho river",
          "Several hundred volunteers collected rubbish along the banks of the Can Tho river "
          "on Sunday morning, in a clean-up organised by youth groups and ward offices.",
          ("Organisers said the event would be repeated every month during the dry season.",
           "Residents along the river planted flowers at the end of the morning."),
          "Linh Tran", "Environment"),
    Piece("demo-mien-tay-nhanh", 4, 7, "Nhà cổ Bình Thủy đón khách trải nghiệm áo dài xưa",
          "Nhà cổ Bình Thủy mở chương trình cho du khách mặc áo dài xưa, chụp ảnh và nghe kể "
          "chuyện về kiến trúc của ngôi nhà hơn trăm năm tuổi.",
          ("Chương trình diễn ra vào các ngày cuối tuần, mỗi lượt khoảng một giờ.",
           "Ban quản lý khu di tích cho biết lượng khách tăng đều từ đầu mùa du lịch."),
          "Quốc Bảo", "Du lịch"),
    Piece("demo-song-hau", 4, 2, "Khu công nghiệp Trà Nóc thu hút thêm ba dự án chế biến nông sản",
          "Khu công nghiệp Trà Nóc vừa trao giấy chứng nhận đầu tư cho ba dự án chế biến trái "
          "cây và thủy sản, tạo thêm việc làm cho lao động thành phố Cần Thơ.",
          ("Các nhà máy dự kiến đi vào hoạt động trong năm sau.",
           "Sở Kế hoạch và Đầu tư cho biết các dự án đều sử dụng công nghệ tiết kiệm nước."),
          "Lan Anh", "Kinh tế"),
    Piece("demo-phu-sa-fm", 4, 9, "Sở Y tế Cần Thơ tổ chức tiêm chủng bổ sung tại các phường",
          "Sở Y tế thành phố Cần Thơ tổ chức đợt tiêm chủng bổ sung cho trẻ em tại trạm y tế "
          "các phường trong hai tuần tới.",
          ("Phụ huynh mang theo sổ tiêm chủng khi đưa trẻ đi tiêm.",
           "Các trạm y tế mở cửa cả sáng Chủ nhật để thuận tiện cho gia đình."),
          "Minh Khoa", "Sức khỏe"),
    # day 3
    Piece("demo-tay-do-online", 3, 3, "Công trình thoát nước đường Mậu Thân đạt sáu mươi phần trăm khối lượng",
          "Công trình cải tạo hệ thống thoát nước trên đường Mậu Thân, quận Ninh Kiều đã hoàn "
          "thành khoảng sáu mươi phần trăm khối lượng, theo đơn vị thi công.",
          ("Công ty Cấp thoát nước Cần Thơ cho biết các đoạn cống mới sẽ được đấu nối trong "
           "những tuần tới.",
           "Công trình nằm trong chương trình nâng cấp hạ tầng đô thị của thành phố."),
          "Quốc Bảo", "Đô thị"),
    Piece("demo-song-hau", 3, 6, "Lễ hội bánh dân gian Nam Bộ trở lại bến Ninh Kiều",
          "Lễ hội bánh dân gian Nam Bộ trở lại bến Ninh Kiều với hơn một trăm gian hàng bánh "
          "truyền thống của các tỉnh miền Tây.",
          ("Du khách được xem nghệ nhân làm bánh xèo, bánh tét lá cẩm và bánh bò thốt nốt.",
           "Lễ hội kéo dài năm ngày, có chương trình đờn ca tài tử mỗi tối."),
          "Ngọc Hân", "Du lịch"),
    Piece("demo-mien-tay-nhanh", 3, 8, "Cầu Trần Hoàng Na được lắp thêm đèn chiếu sáng mỹ thuật",
          "Cầu Trần Hoàng Na được lắp thêm hệ thống đèn chiếu sáng mỹ thuật, tạo điểm nhấn "
          "mới cho khu trung tâm thành phố Cần Thơ.",
          ("Đèn sử dụng công nghệ tiết kiệm điện và được điều khiển theo khung giờ.",
           "Người dân đi bộ buổi tối trên cầu cho biết khung cảnh ven sông đẹp hơn."),
          "Hữu Phước", "Đô thị"),
    Piece("demo-mekong-times", 3, 5, "Can Tho University students win regional robotics prize",
          "A team from Can Tho University has won first prize at a regional robotics contest "
          "with a small robot that sorts fruit by size and ripeness.",
          ("The students say they will keep improving the design with local orchards.",
           "The university plans to open a robotics club for first-year students."),
          "Staff reporter", "Education"),
    # day 2
    Piece("demo-phu-sa-fm", 2, 4, "Trái cây tại chợ nổi Phong Điền dồi dào, giá ổn định",
          "Trái cây tại chợ nổi Phong Điền dồi dào trong mùa thu hoạch, giá bán ổn định, thương "
          "lái và du khách mua nhiều.",
          ("Các nhà vườn ở huyện Phong Điền cho biết năm nay chôm chôm và sầu riêng được mùa.",
           "Chợ họp từ sáng sớm, nhiều ghe hàng kết hợp đón khách tham quan."),
          "Minh Khoa", "Thị trường"),
    Piece("demo-tay-do-online", 2, 7, "Cần Thơ khánh thành công viên ven sông ở quận Cái Răng",
          "Thành phố Cần Thơ khánh thành công viên ven sông rộng hơn ba héc ta ở quận Cái "
          "Răng, có đường đi bộ, sân chơi thiếu nhi và khu tập thể dục.",
          ("Công viên trồng hơn một nghìn cây xanh và thảm cỏ dọc bờ sông.",
           "Người dân xung quanh có thêm không gian xanh để đi bộ và vui chơi buổi chiều."),
          "Ngọc Hân", "Môi trường"),
    Piece("demo-song-hau", 2, 2, "Điện lực Cần Thơ hoàn tất nâng cấp lưới điện khu vực Hưng Phú",
          "Công ty Điện lực Cần Thơ hoàn tất nâng cấp lưới điện trung thế khu vực phường Hưng "
          "Phú, quận Cái Răng, đáp ứng nhu cầu của các khu dân cư mới.",
          ("Khách hàng có thể theo dõi lịch bảo trì trên ứng dụng chăm sóc khách hàng.",
           "Đơn vị cho biết sẽ tiếp tục ngầm hóa lưới điện ở các tuyến đường trung tâm."),
          "Thanh Tâm", "Dịch vụ công"),
    Piece("demo-mien-tay-nhanh", 2, 9, "Bệnh viện Đa khoa Trung ương Cần Thơ cho đặt lịch khám qua ứng dụng",
          "Bệnh viện Đa khoa Trung ương Cần Thơ triển khai đặt lịch khám qua ứng dụng di động, "
          "người bệnh chọn giờ khám và nhận thông báo trước lượt.",
          ("Người bệnh cao tuổi vẫn có thể đăng ký trực tiếp tại quầy.",
           "Bệnh viện cho biết đã có hàng nghìn lượt đặt lịch trong tuần đầu."),
          "Lan Anh", "Sức khỏe"),
    # day 1
    Piece("demo-mekong-times", 1, 3, "New bus route links Can Tho airport and the city centre",
          "A new bus route now links Can Tho airport with the city centre and Ninh Kieu wharf, "
          "with buses every twenty minutes from early morning until late evening.",
          ("Tickets can be paid by card or phone, and buses have space for luggage.",
           "The transport department says the route will be reviewed after three months."),
          "Linh Tran", "Transport"),
    Piece("demo-song-hau", 1, 6, "Sở Giáo dục và Đào tạo Cần Thơ công bố kế hoạch tuyển sinh lớp 10",
          "Sở Giáo dục và Đào tạo thành phố Cần Thơ công bố kế hoạch tuyển sinh lớp 10, học sinh "
          "đăng ký nguyện vọng trực tuyến từ đầu tháng tới.",
          ("Các trường công lập sẽ công bố chỉ tiêu trên trang thông tin của Sở.",
           "Phụ huynh có thể hỏi đáp qua đường dây nóng trong giờ hành chính."),
          "Lan Anh", "Giáo dục"),
    Piece("demo-tay-do-online", 1, 8, "Cần Thơ giới thiệu tour xe đạp khám phá vườn trái cây Phong Điền",
          "Thành phố Cần Thơ giới thiệu tour xe đạp nửa ngày qua các vườn trái cây ở huyện Phong "
          "Điền, kết hợp thăm lò bánh và nhà vườn.",
          ("Du khách được hướng dẫn viên địa phương đi cùng và thưởng thức trái cây tại vườn.",
           "Các công ty lữ hành đánh giá sản phẩm mới phù hợp với khách trẻ và gia đình."),
          "Quốc Bảo", "Du lịch"),
    Piece("demo-phu-sa-fm", 1, 5, "Sở Tài nguyên và Môi trường công bố chất lượng nước sông Hậu",
          "Sở Tài nguyên và Môi trường thành phố Cần Thơ công bố kết quả quan trắc định kỳ, chất "
          "lượng nước sông Hậu đoạn qua thành phố đạt quy chuẩn cho cấp nước sinh hoạt.",
          ("Các điểm quan trắc được lấy mẫu mỗi tháng và công khai trên trang thông tin của Sở.",
           "Sở khuyến khích người dân báo tin khi phát hiện xả thải bất thường."),
          "Minh Khoa", "Môi trường"),
    # the last day, before the rain
    Piece("demo-mien-tay-nhanh", 0, 20, "Khu ẩm thực bến Ninh Kiều thêm bốn mươi gian hàng đặc sản",
          "Khu ẩm thực gần bến Ninh Kiều vừa có thêm hơn bốn mươi gian hàng đặc sản miền Tây, "
          "phục vụ du khách tham quan thành phố Cần Thơ.",
          ("Ban quản lý bố trí thêm bàn ghế và khu rửa tay cho khách.",
           "Các món được nhiều người chọn là bánh xèo, lẩu mắm và chè bưởi."),
          "Hữu Phước", "Thị trường"),
    Piece("demo-mekong-times", 0, 16, "Can Tho opens an online portal for building permits",
          "Can Tho has opened an online portal where residents can apply for building permits "
          "and follow each step of the review without visiting an office.",
          ("The city says most permits for small houses should be issued within two weeks.",
           "Staff at the ward offices will help older residents file applications."),
          "Staff reporter", "City"),
    Piece("demo-song-hau", 0, 12, "Cần Thơ tập huấn kỹ năng số cho cán bộ phường",
          "Thành phố Cần Thơ mở lớp tập huấn kỹ năng số cho cán bộ các phường, giúp giải quyết "
          "hồ sơ trực tuyến nhanh hơn cho người dân.",
          ("Khóa học gồm các buổi thực hành trên hệ thống dịch vụ công của thành phố.",
           "Sở Thông tin và Truyền thông cho biết sẽ mở thêm lớp cho cán bộ các huyện."),
          "Thanh Tâm", "Hành chính"),
)

# --- the last hours: the flooding story ---------------------------------------
# The four Vietnamese reports share their lead almost word for word (outlets
# rewrite one another's first report), which is what the story clustering
# (near-duplicate title + lead) joins across outlets.
_FLOOD_LEAD = ("Mưa lớn kéo dài hơn hai giờ cùng lúc triều cường dâng cao khiến nhiều tuyến "
               "đường ở quận Ninh Kiều và quận Bình Thủy, {city} ngập sâu, {bikes}, người dân "
               "{angry} vì công trình thoát nước trên đường Mậu Thân thi công dang dở.")
FLOOD_TITLE_VI = "Mưa lớn kết hợp triều cường, nhiều tuyến đường ở Ninh Kiều, Bình Thủy ngập sâu"
FLOOD_TITLE_EN = ("Heavy rain and high tide flood Ninh Kieu; angry residents complain of delayed "
                  "drainage works")
FLOOD_AREA = "quận Ninh Kiều, quận Bình Thủy, quận Cái Răng (thành phố Cần Thơ)"
FLOOD = (
    Piece("demo-phu-sa-fm", 0, 6.5, "Cần Thơ có mưa to, đỉnh triều cường lên cao trong ngày",
          "Cơ quan khí tượng khu vực dự báo thành phố Cần Thơ có mưa to, cùng thời điểm đỉnh "
          "triều cường trên sông Hậu lên cao; người dân vùng trũng được khuyến cáo kê cao đồ "
          "đạc và theo dõi thông báo của địa phương.",
          ("Đỉnh triều tại trạm Cần Thơ có thể vượt mức báo động III vào cuối ngày.",
           "Các phường ven sông được yêu cầu chuẩn bị máy bơm và lực lượng trực."),
          "Minh Khoa", "Thời tiết", flood=True),
    Piece("demo-song-hau", 0, 4.5, FLOOD_TITLE_VI,
          _FLOOD_LEAD.format(city="thành phố Cần Thơ", bikes="nhiều xe máy chết máy",
                             angry="bức xúc"),
          ("Theo ghi nhận của phóng viên, nước ngập từ bốn mươi đến năm mươi phân trên đường "
           "Mậu Thân, đường 3 Tháng 2 và nhiều hẻm ở phường An Khánh, phường Xuân Khánh.",
           "Ông Trần Văn Lộc, chủ một quán cà phê trên đường Mậu Thân, bức xúc: công trình đào "
           "đường mấy tháng chưa xong, mỗi lần mưa là nước tràn vào nhà, hàng hóa hư hỏng.",
           "Đại diện UBND quận Ninh Kiều cho biết đã phối hợp với Công ty Cấp thoát nước Cần "
           "Thơ đặt thêm máy bơm tại các điểm ngập sâu."),
          "Thanh Tâm", "Thời sự", flood=True, shared_lead=True),
    Piece("demo-tay-do-online", 0, 4.0,
          "Mưa lớn cộng triều cường, nhiều tuyến đường ở Ninh Kiều, Bình Thủy ngập sâu",
          _FLOOD_LEAD.format(city="TP Cần Thơ", bikes="nhiều xe máy chết máy",
                             angry="rất bức xúc"),
          ("Trên đường Mậu Thân, đoạn gần công trình thoát nước, hố đào và rào chắn khiến nước "
           "rút chậm, nhiều người phải dắt xe lội qua đoạn ngập.",
           "Bà Nguyễn Thị Hoa, sống ở phường Long Hòa, quận Bình Thủy, cho biết nước vào nhà "
           "lần thứ ba trong tháng và gia đình phải thức trắng để dọn đồ.",
           "Người dân đề nghị thành phố sớm hoàn thành công trình và công khai tiến độ."),
          "Quốc Bảo", "Đô thị", flood=True, shared_lead=True),
    Piece("demo-mien-tay-nhanh", 0, 3.6,
          "Cần Thơ: mưa lớn kết hợp triều cường, nhiều tuyến đường ở Ninh Kiều, Bình Thủy ngập sâu",
          _FLOOD_LEAD.format(city="thành phố Cần Thơ", bikes="xe máy chết máy hàng loạt",
                             angry="bức xúc"),
          ("Nhiều tiểu thương ở chợ Xuân Khánh phải đóng cửa sớm vì nước tràn vào sạp hàng.",
           "Một số người dân cho rằng công trình thoát nước trên đường Mậu Thân thi công kéo "
           "dài, không có biện pháp thoát nước tạm khiến tình trạng ngập nặng hơn."),
          "Hữu Phước", "Thời sự", flood=True, shared_lead=True),
    Piece("demo-phu-sa-fm", 0, 3.0,
          "Mưa lớn kết hợp triều cường, nhiều tuyến đường ở Ninh Kiều và Bình Thủy ngập sâu",
          _FLOOD_LEAD.format(city="thành phố Cần Thơ", bikes="nhiều xe máy chết máy",
                             angry="bức xúc"),
          ("Thính giả gọi điện tới chương trình phản ánh nước ngập quá đầu gối ở đường 3 Tháng "
           "2 và khu vực gần Bến xe trung tâm.",
           "Nhiều người cho biết tình trạng ngập lặp lại nhiều lần dù thành phố đã đầu tư công "
           "trình chống ngập."),
          "Minh Khoa", "Thời sự", flood=True, shared_lead=True),
    Piece("demo-mekong-times", 0, 2.5, FLOOD_TITLE_EN,
          "Heavy rain and a high tide on the Hau river flooded streets in Ninh Kieu and Binh "
          "Thuy districts; angry residents complain that delayed drainage works left canals "
          "blocked and motorbikes stalled in knee-deep water.",
          ("Water rose to about half a metre on Mau Than road and 3 Thang 2 street, and many "
           "alleys in An Khanh ward were cut off for hours.",
           "Shop owners said the drainage works had left open trenches and piles of material "
           "that trap the water, and complained that nobody told them when the work would end.",
           "District officials in Can Tho said pumps had been moved to the worst-hit points."),
          "Linh Tran", "City", flood=True),
    Piece("demo-song-hau", 0, 1.6,
          "Người dân bức xúc vì ngập sâu: công trình thoát nước đường Mậu Thân chậm tiến độ",
          "Sau trận mưa lớn và triều cường, nhiều hộ dân trên đường Mậu Thân và phường An "
          "Khánh, quận Ninh Kiều phản ánh nước ngập rút rất chậm vì công trình thoát nước thi "
          "công kéo dài, hố đào và vật tư chắn dòng chảy, hàng quán phải đóng cửa.",
          ("Người dân cho biết đã nhiều lần kiến nghị nhưng công trình vẫn chậm tiến độ.",
           "Họ đề nghị thành phố Cần Thơ kiểm tra trách nhiệm của đơn vị thi công và có biện "
           "pháp thoát nước tạm trước mùa mưa."),
          "Lan Anh", "Thời sự", flood=True),
    Piece("demo-tay-do-online", 0, 1.0,
          "Phường Hưng Phú, quận Cái Răng ngập sâu, người dân lội nước về nhà",
          "Triều cường dâng cao sau cơn mưa lớn khiến nhiều tuyến đường ở phường Hưng Phú, "
          "quận Cái Răng, thành phố Cần Thơ ngập sâu, người dân phải lội nước về nhà, nhiều xe "
          "chết máy giữa đường.",
          ("Nước ngập tràn vào nhiều nhà dân gần bờ sông, đồ đạc bị hư hỏng.",
           "Người dân bức xúc vì khu vực này năm nào cũng ngập nhưng chưa có giải pháp."),
          "Ngọc Hân", "Đô thị", flood=True),
)

# --- social: a Mastodon hashtag timeline and a forum ---------------------------
STATUSES = (
    Post("ut_tay_do", 5, 2, "Sáng nay đi chợ nổi Cái Răng, trái cây tươi ngon, giá hợp lý. "
         "Cần Thơ mùa này đẹp quá! #CanTho"),
    Post("minh_ninhkieu", 3, 4, "Đèn mới trên cầu Trần Hoàng Na đẹp quá, cả nhà đi dạo bến Ninh "
         "Kiều vui ghê. Cần Thơ ngày càng đẹp! #CanTho"),
    Post("co_giao_thao", 1, 6, "Học trò mình đạt giải ngày hội khoa học kỹ thuật thành phố, "
         "cả lớp vui lắm. Chúc mừng các em! #CanTho"),
    Post("ut_tay_do", 0, 14, "Xe buýt điện ra sân bay Cần Thơ chạy êm, sạch sẽ, đúng giờ. "
         "Nên đi thử nha mọi người. #CanTho"),
    Post("minh_ninhkieu", 0, 4.8, "Đường Mậu Thân ngập tới đầu gối, xe chết máy hàng loạt. Công "
         "trình thoát nước làm hoài không xong, mưa là ngập! #CanTho #ngap", flood=True),
    Post("hoa_binhthuy", 0, 4.2, "Nước tràn vào nhà lần thứ ba trong tháng ở Bình Thủy, cả nhà "
         "dọn đồ tới khuya. Mệt mỏi và bức xúc quá! #CanTho #ngap", flood=True),
    Post("tam_taxi_ct", 0, 3.5, "Mưa lớn cộng triều cường, đường 3 Tháng 2 ngập sâu, kẹt cứng. "
         "Mọi người tránh khu Ninh Kiều nha. #CanTho #ngap", flood=True),
    Post("co_giao_thao", 0, 2.7, "Học sinh phải lội nước ngập về nhà ở phường An Khánh, phụ "
         "huynh lo lắng. Bao giờ mới hết ngập? #CanTho #ngap", flood=True),
    Post("khoa_caibrang", 0, 1.9, "Hưng Phú, Cái Răng ngập sâu, nước tràn vào nhà, xe chết máy "
         "đầy đường. Thất vọng về công trình chống ngập! #CanTho #ngap", flood=True),
    Post("ut_tay_do", 0, 0.6, "Ngập khắp Ninh Kiều, Bình Thủy, Cái Răng. Hàng quán đóng cửa, "
         "thiệt hại nặng, người dân bức xúc. #CanTho #ngap", flood=True),
)
ACCOUNTS = {
    "ut_tay_do": "Út Tây Đô (demo)", "minh_ninhkieu": "Minh Ninh Kiều (demo)",
    "co_giao_thao": "Cô giáo Thảo (demo)", "hoa_binhthuy": "Hoa Bình Thủy (demo)",
    "tam_taxi_ct": "Tâm taxi (demo)", "khoa_caibrang": "Khoa Cái Răng (demo)",
}
THREADS = (
    Thread(101, "quan-an-sang-ngon-o-ninh-kieu", "Gợi ý quán ăn sáng ngon ở Ninh Kiều",
           (Post("ban_moi_den", 6, 3, "Mình mới chuyển tới Cần Thơ, ở gần chợ Tân An, rất thích nơi "
                 "này. Mọi người gợi ý giúp vài quán ăn sáng ngon, giá vừa phải nha, cảm ơn "
                 "nhiều."),
            Post("thoai_an_khanh", 5, 8, "Hủ tiếu gần bến Ninh Kiều ngon và rẻ lắm bạn, nước "
                 "lèo ngọt thanh, chủ quán vui vẻ, mình rất thích."),
            Post("chi_ba_cai_khe", 5, 2, "Mình hay ăn bánh xèo ở Cái Khế, giòn, rau tươi, chủ "
                 "quán thân thiện, bạn ghé thử nhé, rất đáng tiền."),
            Post("ban_moi_den", 4, 6, "Cảm ơn mọi người, sáng nay mình ăn thử hủ tiếu rồi, "
                 "ngon thật. Cần Thơ dễ thương quá."))),
    Thread(102, "ngap-nang-duong-mau-than", "Ngập nặng đường Mậu Thân, mọi người tránh khu này",
           (Post("thoai_an_khanh", 0, 4.6, "Đường Mậu Thân đoạn công trình thoát nước ngập sâu, "
                 "xe máy chết máy hàng loạt. Mọi người tránh khu này nha, ngập quá trời."),
            Post("chi_ba_cai_khe", 0, 4.3, "Hẻm nhà mình ở Xuân Khánh cũng ngập, nước tràn vào "
                 "nhà. Công trình đào mấy tháng không xong, bức xúc thật sự."),
            Post("ban_moi_den", 0, 3.8, "Ngập tới đầu gối ở đường 3 Tháng 2, mình phải dắt xe "
                 "lội về. Cần Thơ mưa là ngập, khổ quá."),
            Post("anh_tu_binh_thuy", 0, 2.9, "Bình Thủy cũng ngập sâu, nước rút rất chậm. Đề nghị "
                 "thành phố kiểm tra công trình chống ngập, dân chịu hết nổi rồi."),
            Post("thoai_an_khanh", 0, 1.2, "Giờ vẫn còn ngập, hàng quán đóng cửa hết. Thiệt hại "
                 "nặng mà chưa thấy ai giải thích.")),
           flood=True),
)


# --- building the site ---------------------------------------------------------
@dataclass(frozen=True)
class Outlets:
    """What ``build`` wrote: the site root, the story's facts, the item count."""

    root: Path
    story: dict[str, str]
    articles: int


@dataclass
class _Page:
    """One article placed in time and on the site."""

    piece: Piece
    outlet: Outlet
    published: datetime
    path: str

    @property
    def url(self) -> str:
        return BASE_TOKEN + self.path


@dataclass
class _Site:
    root: Path
    pages: list[_Page] = field(default_factory=list)

    def write(self, path: str, text: str) -> None:
        target = self.root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def build(root: Path, *, end: datetime, seed: int = 2026) -> Outlets:
    """Write the demo site under ``root``: a week of ordinary news before
    ``end`` and the flood story in its last hours (all times before ``end``,
    which must be timezone-aware; pass the current time so the reputation
    rules, which look back from *their* now, see the story as today's)."""
    if end.tzinfo is None or end.utcoffset() is None:
        raise ValueError("end must be timezone-aware (e.g. datetime.now(UTC))")
    rng = random.Random(seed)
    site = _Site(Path(root))
    site.root.mkdir(parents=True, exist_ok=True)
    by_id = {o.id: o for o in OUTLETS}
    for n, piece in enumerate(BASELINE + FLOOD, start=1):
        outlet = by_id[piece.outlet]
        when = _when(end, piece.day, piece.hours, rng)
        path = f"/{outlet.slug}/{when.astimezone(LOCAL):%Y/%m/%d}/{slugify(piece.title)}-{n}.html"
        site.pages.append(_Page(piece, outlet, when, path))
    for page in site.pages:
        site.write(page.path, article_html(page))
    for outlet in OUTLETS:
        pages = sorted((p for p in site.pages if p.outlet is outlet),
                       key=lambda p: p.published, reverse=True)
        site.write(f"/{outlet.slug}/index.html", outlet_index_html(outlet, pages))
        feed = rss_xml(outlet, pages) if outlet.feed == "rss" else atom_xml(outlet, pages, end)
        site.write(feed_path(outlet), feed)
    statuses = [(_when(end, s.day, s.hours, rng), s) for s in STATUSES]
    site.write(MASTODON_TAG_PATH + ".json", mastodon_json(statuses, rng))
    threads = [(t, [(_when(end, p.day, p.hours, rng), p) for p in t.posts]) for t in THREADS]
    site.write(FORUM_INDEX_PATH, forum_index_html(threads))
    for thread, posts in threads:
        site.write(thread_path(thread), thread_html(thread, posts, rng))
    site.write("/robots.txt", "User-agent: *\nAllow: /\n")
    site.write("/index.html", home_html())
    n_posts = sum(len(t.posts) for t in THREADS)
    story = _story(site.pages, statuses, threads, end)
    return Outlets(root=site.root, story=story,
                   articles=len(site.pages) + len(statuses) + n_posts)


def _when(end: datetime, day: int, hours: float, rng: random.Random) -> datetime:
    """``day`` days and ``hours`` hours before ``end``, a few minutes earlier
    still (seeded), to the second; never after ``end``."""
    jitter = rng.randint(0, 9 if day == 0 else 40)
    when = end - timedelta(days=day, hours=hours, minutes=jitter)
    return when.astimezone(LOCAL).replace(microsecond=0)


def _story(pages: list[_Page], statuses: list[tuple[datetime, Post]],
           threads: list[tuple[Thread, list[tuple[datetime, Post]]]],
           end: datetime) -> dict[str, str]:
    """The facts the demo scenario checks the incidents against."""
    reports = sorted((p for p in pages if p.piece.shared_lead), key=lambda p: p.published)
    flood = [p for p in pages if p.piece.flood]
    flood_times = [p.published for p in flood] + [t for t, s in statuses if s.flood] + [
        t for thread, posts in threads if thread.flood for t, _ in posts]
    baseline = [p for p in pages if not p.piece.flood]
    return {
        "city": "Cần Thơ",
        "city_entity": "loc.can_tho",
        "flood_story_title_vi": FLOOD_TITLE_VI,
        "flood_story_title_en": FLOOD_TITLE_EN,
        "flood_area": FLOOD_AREA,
        "flood_entities": "loc.can_tho,loc.ninh_kieu,loc.binh_thuy,loc.cai_rang,road.mau_than",
        "flood_topic": "environment",
        "flood_watchlist": "wl.flooding",
        "flood_story_outlets": "; ".join(p.outlet.name for p in reports),
        "flood_story_source_ids": ",".join(p.outlet.id for p in reports),
        "flood_first_published": reports[0].published.isoformat(),
        "flood_last_published": max(flood_times).isoformat(),
        "flood_articles": str(len(flood)),
        "flood_posts": str(sum(s.flood for _, s in statuses) + sum(
            len(posts) for thread, posts in threads if thread.flood)),
        "baseline_days": str(BASELINE_DAYS),
        "baseline_articles": str(len(baseline)),
        "outlets": "; ".join(o.name for o in OUTLETS),
        "social_sources": f"{MASTODON[1]}; {FORUM[1]}",
        "demo_mark": DEMO_MARK,
        "end": end.isoformat(),
    }


def slugify(text: str) -> str:
    """ASCII URL slug of a Vietnamese title (đ has no decomposition: mapped)."""
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    text = text.encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:80]


def feed_path(outlet: Outlet) -> str:
    return f"/{outlet.slug}/{'rss' if outlet.feed == 'rss' else 'atom'}.xml"


def thread_path(thread: Thread) -> str:
    return f"/dien-dan/threads/{thread.slug}.{thread.id}.html"


# --- HTML ----------------------------------------------------------------------
def e(text: str) -> str:
    return html.escape(text, quote=True)


_CSS = ("body{font-family:sans-serif;max-width:46rem;margin:auto;padding:0 1rem}"
        ".demo-mark{background:#fde68a;color:#7c2d12;font-weight:bold;padding:.4rem;"
        "text-align:center;border:2px dashed #b45309}"
        ".sapo{font-weight:bold}.byline{color:#555}"
        ".message{border-top:1px solid #ddd;padding:.5rem 0}.message-name{margin:0}")


def _layout(title: str, lang: str, head: str, header: str, main: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{e(title)}</title>\n{head}<style>{_CSS}</style>\n</head>\n<body>\n"
            f'<div class="demo-mark" role="note">{DEMO_MARK}</div>\n'
            f"<header>{header}</header>\n<main>\n{main}\n</main>\n"
            f"<footer><p>{DEMO_MARK}: trang hư cấu do Canhgac tạo ra cho bản trình diễn "
            f"(fictional page generated for the Canhgac demo).</p></footer>\n</body>\n</html>\n")


def _masthead(outlet: Outlet) -> str:
    return (f'<p class="site"><a href="/{outlet.slug}/index.html">{e(outlet.name)}</a> — '
            f"{e(outlet.tagline)}</p>")


def article_html(page: _Page) -> str:
    """An article page: the time in ``article:published_time``, a ``<time>``
    element and JSON-LD, as news sites mark it (what the extractor reads)."""
    p, o = page.piece, page.outlet
    iso = page.published.isoformat()
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": p.title,
          "datePublished": iso, "author": {"@type": "Person", "name": p.author},
          "publisher": {"@type": "Organization", "name": o.name}, "inLanguage": o.language}
    head = (f'<meta name="description" content="{e(p.lead)}">\n'
            f'<meta property="og:type" content="article">\n'
            f'<meta property="og:title" content="{e(p.title)}">\n'
            f'<meta property="og:site_name" content="{e(o.name)}">\n'
            f'<meta property="og:url" content="{page.url}">\n'
            f'<meta property="article:published_time" content="{iso}">\n'
            f'<meta property="article:section" content="{e(p.section)}">\n'
            f'<meta name="author" content="{e(p.author)}">\n'
            f'<link rel="canonical" href="{page.url}">\n'
            f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>\n')
    note = ("Bài viết hư cấu cho bản trình diễn Canhgac." if o.language == "vi"
            else "A fictional article written for the Canhgac demo.")
    paragraphs = "\n".join(f"<p>{e(text)}</p>" for text in p.body)
    local = page.published.astimezone(LOCAL)
    main = (f"<article>\n<h1>{e(p.title)}</h1>\n"
            f'<p class="byline">{e(p.author)} · {e(p.section)} · '
            f'<time datetime="{iso}">{local:%H:%M %d/%m/%Y}</time></p>\n'
            f'<p class="sapo">{e(p.lead)}</p>\n{paragraphs}\n'
            f'<p class="demo-note"><em>{DEMO_MARK}. {note}</em></p>\n</article>')
    return _layout(f"{p.title} – {o.name}", o.language, head, _masthead(o), main)


def outlet_index_html(outlet: Outlet, pages: list[_Page]) -> str:
    items = "\n".join(
        f'<li><a href="{p.path}">{e(p.piece.title)}</a> '
        f"<small>{p.published.astimezone(LOCAL):%H:%M %d/%m/%Y}</small></li>" for p in pages)
    head = (f'<link rel="alternate" type="application/{outlet.feed}+xml" '
            f'href="{feed_path(outlet)}">\n')
    return _layout(outlet.name, outlet.language, head, _masthead(outlet),
                   f"<h1>{e(outlet.name)}</h1>\n<ul>\n{items}\n</ul>")


def home_html() -> str:
    rows = "\n".join(f'<li><a href="/{o.slug}/index.html">{e(o.name)}</a> '
                     f'(<a href="{feed_path(o)}">{o.feed}</a>)</li>' for o in OUTLETS)
    rows += (f'\n<li><a href="{MASTODON_TAG_PATH}">{e(MASTODON[1])}</a> (JSON)</li>'
             f'\n<li><a href="{FORUM_INDEX_PATH}">{e(FORUM[1])}</a></li>')
    return _layout("Canhgac demo outlets", "vi", "", "",
                   f"<h1>Báo chí và mạng xã hội minh hoạ</h1>\n<ul>\n{rows}\n</ul>")


# --- feeds ---------------------------------------------------------------------
def _xml(root: ET.Element) -> str:
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, tag, attrs)
    if text is not None:
        node.text = text
    return node


def rss_xml(outlet: Outlet, pages: list[_Page]) -> str:
    """RSS 2.0: title, link, guid, RFC 822 date in local time, lead, section."""
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "title", outlet.name)
    _sub(channel, "link", f"{BASE_TOKEN}/{outlet.slug}/index.html")
    _sub(channel, "description", f"{outlet.tagline} — {DEMO_MARK}")
    _sub(channel, "language", outlet.language)
    for page in pages:
        item = _sub(channel, "item")
        _sub(item, "title", page.piece.title)
        _sub(item, "link", page.url)
        _sub(item, "guid", page.url, isPermaLink="true")
        _sub(item, "pubDate", email.utils.format_datetime(page.published))
        _sub(item, "description", page.piece.lead)
        _sub(item, "category", page.piece.section)
    return _xml(rss)


def atom_xml(outlet: Outlet, pages: list[_Page], end: datetime) -> str:
    """Atom 1.0 with ``published`` and ``updated`` per entry."""
    feed = ET.Element("feed", {"xmlns": "http://www.w3.org/2005/Atom",
                               "xml:lang": outlet.language})
    _sub(feed, "title", outlet.name)
    _sub(feed, "subtitle", f"{outlet.tagline} — {DEMO_MARK}")
    _sub(feed, "id", f"urn:canhgac-demo:{outlet.id}")
    _sub(feed, "link", href=f"{BASE_TOKEN}/{outlet.slug}/index.html")
    _sub(feed, "updated", max((p.published for p in pages), default=end).isoformat())
    for page in pages:
        entry = _sub(feed, "entry")
        _sub(entry, "title", page.piece.title)
        _sub(entry, "link", href=page.url)
        _sub(entry, "id", f"urn:canhgac-demo:{outlet.id}:{slugify(page.path)}")
        _sub(entry, "published", page.published.isoformat())
        _sub(entry, "updated", page.published.isoformat())
        _sub(_sub(entry, "author"), "name", page.piece.author)
        _sub(entry, "summary", page.piece.lead)
        _sub(entry, "category", term=page.piece.section)
    return _xml(feed)


# --- social --------------------------------------------------------------------
def _status_id(when: datetime, n: int) -> str:
    """A Mastodon-style id: milliseconds since the epoch shifted left 16 bits."""
    return str((int(when.timestamp() * 1000) << 16) + n)


def mastodon_json(statuses: list[tuple[datetime, Post]], rng: random.Random) -> str:
    """A hashtag timeline as Mastodon's ``/api/v1/timelines/tag/:tag`` returns
    it: newest first, HTML content, account, counts, tags."""
    out = []
    for n, (when, post) in enumerate(sorted(statuses, key=lambda s: s[0], reverse=True)):
        sid = _status_id(when, n)
        acct = post.author
        url = f"{BASE_TOKEN}/@{acct}/{sid}"
        tags = sorted({t.lower() for t in re.findall(r"#(\w+)", post.text)})
        out.append({
            "id": sid, "created_at": when.astimezone(UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "in_reply_to_id": None, "sensitive": False, "spoiler_text": "",
            "visibility": "public", "language": "vi", "uri": url, "url": url,
            "replies_count": rng.randint(0, 12) + (20 if post.flood else 0),
            "reblogs_count": rng.randint(0, 8) + (30 if post.flood else 0),
            "favourites_count": rng.randint(2, 40) + (50 if post.flood else 0),
            "content": f"<p>{e(post.text)}</p>",
            "reblog": None,
            "account": {"id": str(_stable_int(acct)), "username": acct,
                        "acct": f"{acct}@social.demo", "display_name": ACCOUNTS[acct],
                        "url": f"{BASE_TOKEN}/@{acct}", "note": f"<p>{DEMO_MARK}</p>"},
            "tags": [{"name": t, "url": f"{BASE_TOKEN}/tags/{t}"} for t in tags],
        })
    return json.dumps(out, ensure_ascii=False, indent=1) + "\n"


def _stable_int(text: str) -> int:
    """A stable small integer for a name (Python's hash() is salted per process)."""
    return int(hashlib.sha1(text.encode()).hexdigest()[:12], 16)


def forum_index_html(threads: list[tuple[Thread, list[tuple[datetime, Post]]]]) -> str:
    """A XenForo-style forum page: one ``structItem`` per thread."""
    items = []
    for thread, posts in threads:
        last = max(t for t, _ in posts)
        items.append(
            f'<div class="structItem structItem--thread">\n'
            f'<div class="structItem-title"><a href="{thread_path(thread)}">{e(thread.title)}</a>'
            f"</div>\n<div class=\"structItem-meta\">{len(posts)} bài · "
            f'<time class="u-dt" datetime="{last.isoformat()}">'
            f"{last.astimezone(LOCAL):%H:%M %d/%m/%Y}</time></div>\n</div>")
    header = f'<p class="site"><a href="{FORUM_INDEX_PATH}">{e(FORUM[1])}</a></p>'
    main = (f'<h1 class="p-title-value">Thời sự Cần Thơ</h1>\n'
            f'<div class="structItemContainer">\n{chr(10).join(items)}\n</div>')
    return _layout(f"Thời sự Cần Thơ – {FORUM[1]}", "vi", "", header, main)


def thread_html(thread: Thread, posts: list[tuple[datetime, Post]], rng: random.Random) -> str:
    """A XenForo-style thread page: ``article.message`` per post with author,
    ``time.u-dt``, ``.bbWrapper`` body, permalink and reactions summary."""
    blocks = []
    for n, (when, post) in enumerate(posts, start=1):
        pid = thread.id * 100 + n
        others = rng.randint(1, 25) + (15 if thread.flood else 0)
        blocks.append(
            f'<article class="message message--post" data-author="{e(post.author)}" '
            f'data-content="post-{pid}" id="post-{pid}">\n'
            f'<h4 class="message-name">{e(post.author)}</h4>\n'
            f'<div class="message-attribution-main"><a href="/dien-dan/posts/{pid}/">'
            f'<time class="u-dt" datetime="{when.isoformat()}">'
            f"{when.astimezone(LOCAL):%H:%M %d/%m/%Y}</time></a></div>\n"
            f'<div class="message-body"><div class="bbWrapper">{e(post.text)}</div></div>\n'
            f'<div class="reactionsBar"><a class="reactionsBar-link">Lan, Tuấn và {others} '
            f"người khác</a></div>\n</article>")
    head = f'<link rel="canonical" href="{BASE_TOKEN}{thread_path(thread)}">\n'
    header = f'<p class="site"><a href="{FORUM_INDEX_PATH}">{e(FORUM[1])}</a></p>'
    main = (f'<h1 class="p-title-value">{e(thread.title)}</h1>\n'
            f'<div class="block-body">\n{chr(10).join(blocks)}\n</div>')
    return _layout(f"{thread.title} – {FORUM[1]}", "vi", head, header, main)


# --- serving -------------------------------------------------------------------
class _Server(ThreadingHTTPServer):
    daemon_threads = True
    base_url = ""


class _Handler(SimpleHTTPRequestHandler):
    """Static files with the server's base URL put in place of ``BASE_TOKEN``
    and an ETag (so a second crawl gets 304s); extensionless API paths are
    served from ``<path>.json``."""

    server: _Server

    def send_head(self) -> io.BytesIO | None:  # type: ignore[override]
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if not path.exists() and not path.suffix:
            path = path.with_suffix(".json")
        if not path.is_file():
            self.send_error(404, "not found")
            return None
        body = path.read_bytes().replace(BASE_TOKEN.encode(), self.server.base_url.encode())
        etag = f'"{hashlib.sha1(body).hexdigest()[:20]}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return None
        self.send_response(200)
        self.send_header("Content-Type", TEXT_TYPES.get(path.suffix, "application/octet-stream"))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the crawl's own log records every fetch."""


class OutletServer:
    """Serves a built site on loopback in a daemon thread; a context manager."""

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"no demo site at {self.root} (run build() first)")
        if host not in ("127.0.0.1", "localhost") and not host.startswith("127."):
            raise ValueError(f"the demo outlets are served on loopback only, not {host!r}")
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``; RuntimeError before ``start``."""
        if self._server is None:
            raise RuntimeError("OutletServer is not started")
        return self._server.base_url

    def start(self) -> OutletServer:
        if self._server is not None:
            return self
        handler = _handler_for(self.root)
        server = _Server((self.host, self.port), handler)
        host, port = server.server_address[:2]
        server.base_url = f"http://{host}:{port}"
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name=f"demo-outlets-{port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> OutletServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _handler_for(root: Path) -> Any:
    def make(*args: Any, **kwargs: Any) -> _Handler:
        return _Handler(*args, directory=str(root), **kwargs)
    return make


# --- crawler configuration -------------------------------------------------------
def sources(base_url: str) -> list[dict[str, Any]]:
    """Crawler source entries (the dicts of `crawlers.sources` in the YAML config)."""
    base = base_url.rstrip("/")
    if not urlsplit(base).hostname:
        raise ValueError(f"not a base URL: {base_url!r}")
    out: list[dict[str, Any]] = [
        {"id": o.id, "name": o.name, "kind": "feed", "url": base + feed_path(o),
         "schedule": "15m", "language": o.language, "tags": ["demo", "press"],
         "max_pages": 200}
        for o in OUTLETS]
    out.append({"id": MASTODON[0], "name": MASTODON[1], "kind": "mastodon",
                "url": f"{base}{MASTODON_TAG_PATH}?limit=40", "schedule": "5m",
                "language": "vi", "tags": ["demo", "social"], "max_pages": 20})
    out.append({"id": FORUM[0], "name": FORUM[1], "kind": "forum",
                "url": base + FORUM_INDEX_PATH, "schedule": "15m", "language": "vi",
                "tags": ["demo", "forum"], "max_pages": 50})
    return out


def crawler_settings() -> dict[str, Any]:
    """Politeness values for a fast crawl of the loopback outlets (the rest of
    the ``crawlers`` section; robots.txt is still obeyed: the site serves one)."""
    return {"obey_robots": True, "autothrottle": False, "download_delay": 0.0,
            "concurrent_per_domain": 8, "retry_times": 1, "retry_backoff_base": 0.2,
            "download_timeout": 10.0, "flush_seconds": 0.5}
