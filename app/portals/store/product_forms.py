"""The product editor's form (商品编辑). The fixed fields are a FlaskForm (CSRF, rendering); the
parts that follow the library (a category's parameters, the chosen spec values, one SKU row per
combination, member-level prices) are read from the posted names. Every rule is checked by
app/catalog/editor.py, which owns them; this only carries text across."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import (
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)

from app.catalog.editor import (
    ProductInput,
    SkuInput,
    Upload,
    chosen_spec_values,
    shown_prices,
)
from app.catalog.models import LISTING_CHOICE_LABELS, ListingChoice, Product
from app.clock import to_local
from app.money import format_fen
from app.web.bounds import MAX_ID
from app.web.i18n import lazy_gettext as _l

# What the editor's buttons ask for besides saving.
ACTION_MATRIX = "matrix"  # 生成规格: redraw the SKU table for the chosen spec values
ACTION_REFRESH = "refresh"  # the category changed: redraw its parameters


def optional_id(value) -> int | None:
    """An id from a select or checkbox: a number 1 … MAX_ID, anything else None."""
    if isinstance(value, int):
        return value if 1 <= value <= MAX_ID else None
    text = str(value or "").strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        return None
    return int(text)


def _strip(value: str | None) -> str:
    return (value or "").strip()


class ProductForm(FlaskForm):
    name = StringField(_l("商品标题"), filters=[_strip])
    item_no = StringField(_l("货号"), filters=[_strip])
    model = StringField(_l("型号"), filters=[_strip])
    specification = StringField(_l("规格"), filters=[_strip])
    unit = SelectField(_l("单位"), choices=[], validate_choice=False)
    pack_unit = StringField(_l("包装"), filters=[_strip])
    category_id = SelectField(_l("商品分类"), choices=[], coerce=optional_id, validate_choice=False)
    brand_id = SelectField(_l("品牌"), choices=[], coerce=optional_id, validate_choice=False)
    tag_ids = SelectMultipleField(
        _l("标签"),
        choices=[],
        coerce=optional_id,
        validate_choice=False,
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )
    description = TextAreaField(_l("商品详情"))
    listing_choice = RadioField(
        _l("上架方式"),
        choices=[],
        validate_choice=False,
        default=ListingChoice.ON_APPROVAL,
    )
    list_at = StringField(_l("上架时间"), filters=[_strip])
    images = MultipleFileField(_l("添加图片"))

    @classmethod
    def of(cls, product: Product | None) -> ProductForm:
        """The form for a product: as saved on GET (the pending title when an edit waits for
        the platform), as sent on POST (FlaskForm reads the request)."""
        form = cls(obj=product)
        if product is not None and not form.is_submitted():
            local = to_local(product.list_at)
            form.name.data = shown_prices(product)["name"]
            form.tag_ids.data = [tag.id for tag in product.tags]
            form.list_at.data = local.strftime("%Y-%m-%dT%H:%M") if local else ""
        return form

    def set_choices(self, units, categories, brands, tags, audited: bool) -> None:
        self.unit.choices = [(name, name) for name in units]
        self.category_id.choices = [("", _l("请选择三级分类"))] + list(categories)
        self.brand_id.choices = [("", _l("无品牌"))] + [(b.id, b.name) for b in brands]
        self.tag_ids.choices = [(t.id, t.name) for t in tags]
        if audited:
            self.listing_choice.choices = [
                (choice.value, label) for choice, label in LISTING_CHOICE_LABELS.items()
            ]
        else:
            self.listing_choice.choices = [
                (ListingChoice.ON_APPROVAL.value, _l("立即上架")),
                (ListingChoice.KEEP_UNLISTED.value, _l("暂不上架")),
            ]


def posted_spec_values(formdata: MultiDict) -> list[int]:
    ids = [optional_id(v) for v in formdata.getlist("spec_value")]
    return sorted({v for v in ids if v is not None})


def posted_params(formdata: MultiDict) -> dict[int, str]:
    params = {}
    for name, value in formdata.items():
        if name.startswith("param-"):
            param_id = optional_id(name.removeprefix("param-"))
            if param_id is not None:
                params[param_id] = value
    return params


def posted_skus(formdata: MultiDict) -> dict[str, SkuInput]:
    """Rows are named sku-<key>-<what>; a key is value ids joined by "-" (or "0", "s<id>")."""
    rows: dict[str, SkuInput] = {}
    for name in formdata:
        if not name.startswith("sku-") or not name.endswith("-price"):
            continue
        key = name.removeprefix("sku-").removesuffix("-price")
        prefix = f"sku-{key}-"
        levels = {}
        for other, value in formdata.items():
            if other.startswith(prefix + "level-"):
                level_id = optional_id(other.removeprefix(prefix + "level-"))
                if level_id is not None:
                    levels[level_id] = value
        rows[key] = SkuInput(
            key=key,
            price=formdata.get(prefix + "price", ""),
            retail_price=formdata.get(prefix + "retail", ""),
            stock=formdata.get(prefix + "stock", "0"),
            stock_was=formdata.get(prefix + "stock_was"),
            code=formdata.get(prefix + "code", ""),
            level_prices=levels,
        )
    return rows


def kept_images(formdata: MultiDict) -> list[str]:
    """The existing images in the order posted, without the removed ones, the cover first."""
    removed = set(formdata.getlist("remove_images"))
    kept = [key for key in formdata.getlist("image_keep") if key not in removed]
    cover = formdata.get("cover")
    if cover in kept:
        kept.remove(cover)
        kept.insert(0, cover)
    return kept


def product_input(form: ProductForm, formdata: MultiDict, files: list) -> ProductInput:
    photos = [f for f in files if isinstance(f, FileStorage) and f.filename]
    return ProductInput(
        name=form.name.data or "",
        item_no=form.item_no.data or "",
        model=form.model.data or "",
        specification=form.specification.data or "",
        unit=form.unit.data or "",
        pack_unit=form.pack_unit.data or "",
        category_id=form.category_id.data,
        brand_id=form.brand_id.data,
        tag_ids=[t for t in form.tag_ids.data or [] if t is not None],
        params=posted_params(formdata),
        description=form.description.data or "",
        spec_value_ids=posted_spec_values(formdata),
        skus=posted_skus(formdata),
        listing_choice=form.listing_choice.data or "",
        list_at=form.list_at.data or "",
        kept_images=kept_images(formdata),
        new_images=[Upload(f.filename or "", f.stream) for f in photos],
    )


def _yuan(fen: int | None) -> str:
    return format_fen(fen, symbol="").replace(",", "") if fen is not None else ""


def saved_rows(product: Product | None) -> tuple[list[int], dict[str, dict]]:
    """The chosen spec values and the SKU rows' values as typed text (for GET)."""
    if product is None:
        return [], {}
    shown = shown_prices(product)["skus"]
    values: dict[str, dict] = {}
    for sku in product.skus:
        prices = shown.get(sku.id, {})
        values[f"sku#{sku.id}"] = {
            "price": _yuan(prices.get("price_fen")),
            "retail": _yuan(prices.get("retail_price_fen")),
            "stock": str(sku.stock),
            "stock_was": str(sku.stock),
            "code": sku.code,
            "levels": {k: _yuan(v) for k, v in prices.get("level_prices", {}).items()},
        }
    return chosen_spec_values(product), values


def typed_rows(formdata: MultiDict) -> dict[str, dict]:
    """The SKU rows' values as sent (a redrawn or refused form shows them again)."""
    rows = {}
    for key, sku in posted_skus(formdata).items():
        rows[key] = {
            "price": sku.price,
            "retail": sku.retail_price,
            "stock": sku.stock,
            "stock_was": sku.stock_was,
            "code": sku.code,
            "levels": dict(sku.level_prices),
        }
    return rows
