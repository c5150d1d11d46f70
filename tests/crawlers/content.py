"""Fictional coverage of Cần Thơ for the fixture sites (written for these tests)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Story:
    slug: str
    lang: str
    title: str
    author: str
    published: str  # ISO 8601 with zone, as newspapers put in their metadata
    paragraphs: tuple[str, ...]


STORIES: tuple[Story, ...] = (
    Story(
        "ngap-nuoc-ninh-kieu", "vi",
        "Triều cường gây ngập nhiều tuyến đường ở quận Ninh Kiều",
        "Trần Thị Mai", "2026-11-20T07:30:00+07:00",
        (
            "Sáng 20-11, triều cường dâng cao kết hợp mưa lớn khiến nhiều tuyến đường "
            "trung tâm quận Ninh Kiều, thành phố Cần Thơ ngập sâu từ 20 đến 40 cm.",
            "Tại đường Trần Hưng Đạo và khu vực chợ Tân An, nhiều xe máy chết máy giữa "
            "dòng nước, người dân phải dắt bộ để đến nơi làm việc.",
            "Theo Trung tâm điều hành đô thị thông minh, đỉnh triều dự kiến còn duy trì "
            "trong ba ngày tới; lực lượng chức năng đã bố trí máy bơm tại các điểm trũng.",
        ),
    ),
    Story(
        "cau-vam-cong-thong-xe", "vi",
        "Cần Thơ đề xuất mở thêm tuyến xe buýt qua cầu Vàm Cống",
        "Lê Văn Phúc", "2026-11-21T09:00:00+07:00",
        (
            "Sở Giao thông vận tải thành phố Cần Thơ vừa trình phương án mở thêm hai tuyến "
            "xe buýt kết nối bến xe trung tâm với các huyện phía tây qua cầu Vàm Cống.",
            "Theo đề xuất, mỗi tuyến dài khoảng 45 km, giá vé dự kiến 20.000 đồng và hoạt "
            "động từ 5 giờ sáng đến 8 giờ tối mỗi ngày.",
            "Người dân huyện Thới Lai cho biết tuyến xe mới sẽ giúp học sinh, công nhân "
            "đi lại thuận tiện hơn, giảm phụ thuộc vào xe máy trên quốc lộ.",
        ),
    ),
    Story(
        "cho-noi-cai-rang-du-lich", "vi",
        "Chợ nổi Cái Răng đón lượng khách kỷ lục dịp cuối tuần",
        "Nguyễn Hoàng Nam", "2026-11-22T06:15:00+07:00",
        (
            "Cuối tuần qua, chợ nổi Cái Răng đón hơn mười nghìn lượt khách trong và ngoài "
            "nước, cao nhất kể từ đầu năm theo số liệu của ban quản lý.",
            "Nhiều ghe hàng bán trái cây, hủ tiếu và cà phê trên sông hoạt động từ 4 giờ "
            "sáng; các bến tàu du lịch tăng chuyến để giảm cảnh chen lấn.",
            "Ngành du lịch thành phố khuyến cáo du khách chọn tàu có áo phao, không xả rác "
            "xuống sông và mua vé tại quầy chính thức để tránh bị nâng giá.",
        ),
    ),
    Story(
        "mat-dien-binh-thuy", "vi",
        "Sự cố lưới điện khiến hàng nghìn hộ ở Bình Thủy mất điện",
        "Phạm Thu Hà", "2026-11-23T19:45:00+07:00",
        (
            "Tối 23-11, sự cố tại trạm biến áp khu công nghiệp Trà Nóc khiến khoảng ba "
            "nghìn hộ dân quận Bình Thủy mất điện trong gần hai giờ.",
            "Công ty điện lực cho biết nguyên nhân ban đầu là cây xanh đổ vào đường dây "
            "trung thế sau cơn giông; đội sửa chữa đã khôi phục điện lúc 21 giờ 30.",
            "Nhiều người dân phản ánh không nhận được thông báo trước và đề nghị thành phố "
            "sớm rà soát cây xanh dọc các tuyến đường dây.",
        ),
    ),
    Story(
        "smart-city-operations-centre", "en",
        "Can Tho's operations centre to publish flood alerts in English",
        "Sarah Whitfield", "2026-11-22T10:00:00+07:00",
        (
            "The city of Can Tho will publish its flood and tide alerts in English from "
            "next month, the municipal operations centre said on Sunday.",
            "Officials said the change was requested by the growing number of foreign "
            "residents and visitors who follow the centre's public channels.",
            "The alerts will carry the same water-level forecasts as the Vietnamese "
            "bulletins and will be sent through the city's existing mobile application.",
        ),
    ),
    Story(
        "mekong-delta-rice-exports", "en",
        "Mekong Delta traders in Can Tho expect a strong rice season",
        "David Okafor", "2026-11-24T08:20:00+07:00",
        (
            "Rice traders in Can Tho say prices for the winter-spring crop are holding "
            "firm, as demand from regional buyers remains high this year.",
            "Warehouses along the Hau River were running at full capacity last week, and "
            "several exporters reported contracts signed well into the new year.",
            "Farmers' groups warned, however, that rising fertiliser costs could erode "
            "margins unless the city helps them negotiate collective purchases.",
        ),
    ),
)

# Social posts (Telegram, forum, Mastodon, YouTube, Reddit shapes).
POSTS_VI = (
    "Đường 30 Tháng 4 đoạn gần Đại học Cần Thơ đang kẹt xe kéo dài, mọi người nên đi "
    "đường Nguyễn Văn Cừ để tránh.",
    "Nước lên nhanh ở hẻm 51 đường 3 Tháng 2, quận Ninh Kiều, có nhà đã vào nước.",
    "Cảm ơn các anh công an phường An Khánh đã hỗ trợ người dân đẩy xe qua đoạn ngập.",
    "Cầu đi bộ Ninh Kiều tối nay đông vui, có biểu diễn đờn ca tài tử miễn phí.",
)
POSTS_EN = (
    "Traffic on 30 April Street near Can Tho University is backed up again this morning.",
    "Lovely sunrise at the Cai Rang floating market today, boats everywhere.",
)
