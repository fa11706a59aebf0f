"""Shapes of sarcasm: small named features of an agent's reply and the buyer's message it answers.

The tone model reads characters and words; sarcasm that a writer it never saw puts in other words
still has a shape that carries over: praise or deference joined to a bad outcome or blame (夸 +
亏/怪), an absurd or exaggerated offer, a rhetorical question aimed at the buyer, a grand form of
address used on a buyer who complains, thanks that answer a complaint, advice that is a
put-down. Sincere replies use the same words with a helpful or apologetic outcome, so the
features name that too. Each function reads the normalised reply (and, where it says so, the
buyer's message and its dialogue act) and returns 1.0 when its shape is there, else 0.0; the
second stage (classifiers/tone/sarcasm.py) weighs them with the tone model's probabilities.
The word lists name kinds of wording (praise, deference, exaggeration), not any one reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from classifiers.context import Act

# Praise of the buyer or of what they did.
_PRAISE = re.compile(
    "厉害|了不起|佩服|聪明|高明|有学问|眼光|眼力|识货|明察秋毫|天才|天赋|大师|行家|专家"
    "|不愧|真会|太会|可真会|优秀|绝了|牛|学习|榜样|有才|记性真好|精明|讲究|大方|贤惠|能干"
    "|机智|细心|贴心|周到|专业|见多识广|火眼金睛|有品位|讲究人|懂行|内行|真棒|好厉害|真行")
# A bad outcome, a fault or a blame: what mock praise is really about.
_BAD_OUTCOME = re.compile(
    "坏|烂|碎|夹生|干烧|弄丢|搞砸|搞坏|弄坏|错|丢|亏|倒闭|白[买花费]|没用|看不|不看|没看"
    "|怪|折腾|毛病|居然|竟然|连.{0,8}都|都能|还能|漏|脏|糊|焦|掉|塌|裂|作|闹|吵|差评|投诉")
# Deference or grandeur beyond service courtesy: servile self-reference, titles, court speech.
_GRAND = re.compile(
    "您老|大人|小的|遵命|失敬|贵客|驾到|蓬荜生辉|恩人|祖宗|大爷|老佛爷|少爷|大小姐|公主"
    "|女王|上帝|陛下|皇上|圣旨|大佬|大神|贵人|高人|阁下|您请便|伺候|恭候|领导|菩萨|财神"
    "|大驾|光临寒舍|指导我们|教育了|赐教|请教|高见|尊贵|至尊|老人家|您说了算")
# A question that answers itself, aimed at the buyer.
_RHETORICAL = re.compile(
    "难道|难不成|不会吧|还用问|还用说|不是吗|怎么不|谁让|谁叫|不然呢|你说呢|您说呢|莫非|岂"
    "|何必|至于吗|有必要吗|总不能|哪配|怎么可能|又不是|能不能先|是不是没|不会.{0,6}吧"
    "|还.{0,8}吗[？?]|就不能|凭什么|那又怎样|您觉得呢|你觉得呢")
# An absurd or exaggerated offer or picture.
_ABSURD = re.compile(
    "干脆|要不|不如|打包带走|无人机|降落伞|专线|现做|心理咨询|供起来|八抬大轿|磕|跪|给您造"
    "|专门为您|全世界|天下|史上|一辈子|八辈子|十八|五体投地|一百|一千|一万|几万|整个|上天"
    "|飞过去|背着|亲自上门|开光|发明|奥运|诺贝尔|博物馆|传家宝|申请专利|吉尼斯|外星")
# Giving in without meaning it.
_CONCESSION = re.compile(
    "您说得对|您说的对|您说的都对|你说得对|对对对|是是是|行行行|好好好|您高兴就好|开心就好"
    "|随您|您随意|都怪我|是我太|是我们太|都是我们的错|您说啥是啥|听您的听您的|您赢了|服了")
# Advice or instruction that talks down.
_PUTDOWN = re.compile(
    "建议您|下次|记得|学会|认真|仔细|看清楚|看得进去|识字|常识|动动脑|多读|多看|小学|幼儿园"
    "|一般人|就怕没人看|写得明明白白|写的明明白白|白纸黑字|自己看|自己查|您自己|你自己"
    "|别人都|大家都|都知道|基本的|起码")
# Irony's particles and gestures.
_IRONY = re.compile("呵呵|哎呀|哎呦|哟|呦|啧|可真|还真|真是|果然|可惜|当然|毕竟|托您的福"
                    "|不得不说|真不愧|🙂|😊|👏|😅|🙃")
# Help, apology or care: the sincere outcome of the same words.
_HELP = re.compile(
    "抱歉|不好意思|对不起|给您带来|马上|帮您|为您|给您(?:补|退|换|安排|处理|申请|发|寄|送|查)"
    "|处理|补发|退款|换货|联系|核实|放心|负责|登记|催|查了|安排|承担|赔付|理解您|辛苦")
_THANKS = re.compile("谢谢|感谢|多谢|谢了|感恩")
# The buyer's message complains or blames (beyond the dialogue act's own reading).
_COMPLAINT_WORDS = re.compile(
    "坏|烂|破|差|慢|错|假|骗|退|投诉|差评|怎么还|为什么|凭什么|不行|不好|不对|不能|没收到"
    "|太小|太大|太贵|太久|漏|脏|问题|失望|垃圾|坑|气死|无语")
# Help made concrete: a step, an amount, a time, a thing sent, a person sent, a cost borne.
_CONCRETE_HELP = re.compile(
    "马上|立刻|今天|明天|这就|已经|我这边|我们这边|我来|我给您|我帮您|帮您|给您(?:补|退|换|发|寄"
    "|送|安排|申请|处理|查|录|拍|写|备注|预留|留)|免费|运费我们|我们(?:出|承担|包|负责|来)"
    "|补发|补寄|重新发|换新|退款|上门|师傅|技术员|配件|视频|教程|步骤|一步一步")
_SECOND_PERSON = re.compile("您|你")
_QUESTION_END = re.compile("[？?]")
_QUOTE = re.compile("[“”\"「」『』]")
_ELLIPSIS = re.compile("…|\\.{3}|。。")


def _found(pattern: re.Pattern[str], text: str) -> float:
    return 1.0 if pattern.search(text) else 0.0


def praise(reply: str) -> float:
    """Praise of the buyer or of what they did (您真厉害, 有眼光)."""
    return _found(_PRAISE, reply)


def praise_with_bad_outcome(reply: str) -> float:
    """Praise joined to a bad outcome or blame in the same reply (真厉害…都能弄坏)."""
    return praise(reply) * _found(_BAD_OUTCOME, reply)


def grand_address(reply: str) -> float:
    """Deference or grandeur beyond service courtesy (您老, 小的, 贵客驾到, 遵命)."""
    return _found(_GRAND, reply)


def rhetorical_question(reply: str) -> float:
    """A question that answers itself (难道…, 总不能…吧, 还用问)."""
    return _found(_RHETORICAL, reply)


def question_at_buyer(reply: str) -> float:
    """A question addressed to the buyer (您/你 and a question mark)."""
    return _found(_SECOND_PERSON, reply) * _found(_QUESTION_END, reply)


def absurd_offer(reply: str) -> float:
    """An absurd or exaggerated offer or picture (给您开无人机专线, 五体投地, 一辈子)."""
    return _found(_ABSURD, reply)


def mock_concession(reply: str) -> float:
    """Giving in without meaning it (对对对, 您高兴就好, 都怪我)."""
    return _found(_CONCESSION, reply)


def putdown_advice(reply: str) -> float:
    """Advice or instruction that talks down (建议您下次看清楚, 一般人都知道)."""
    return _found(_PUTDOWN, reply)


def irony_marker(reply: str) -> float:
    """Irony's particles and gestures (呵呵, 哎呦, 托您的福, 🙂)."""
    return _found(_IRONY, reply)


def offers_help(reply: str) -> float:
    """Help, apology or care: what sincere replies with the same words lead to."""
    return _found(_HELP, reply)


def praise_without_help(reply: str) -> float:
    """Praise with no help or apology after it: praise that is the whole point."""
    return praise(reply) * (1.0 - offers_help(reply))


def quotes_buyer(reply: str) -> float:
    """Quotation marks: a word of the buyer's or the shop's held up at arm's length."""
    return _found(_QUOTE, reply)


def trailing_off(reply: str) -> float:
    """An ellipsis (…, 。。): the unsaid part of a remark."""
    return _found(_ELLIPSIS, reply)


def concrete_help(reply: str) -> float:
    """Help made concrete: a step, an amount, a time, a part or person sent, a cost borne."""
    return _found(_CONCRETE_HELP, reply)


def praise_for_complaint_without_help(reply: str, context: str | None,
                                      act: Act | None) -> float:
    """Praise or thanks answering a complaint with no concrete help after it. Sincere praise
    after a buyer's report (您眼真尖，谢谢您告诉我们) goes on to what the shop will do."""
    return praise_for_complaint(reply, context, act) * (1.0 - concrete_help(reply))


def buyer_complains(context: str | None, act: Act | None) -> float:
    """The buyer's message complains or blames (its act, or complaint words in it)."""
    if context is None:
        return 0.0
    return 1.0 if act is Act.COMPLAINT or _COMPLAINT_WORDS.search(context) else 0.0


def buyer_thanks(context: str | None, act: Act | None) -> float:
    """The buyer's message thanks or praises (so praise in answer is an exchange)."""
    if context is None:
        return 0.0
    return 1.0 if act is Act.THANKS or _THANKS.search(context) or _PRAISE.search(context) \
        else 0.0


def no_buyer_message(context: str | None, act: Act | None) -> float:
    """The reply's buyer message is unknown."""
    return 1.0 if context is None else 0.0


def praise_for_complaint(reply: str, context: str | None, act: Act | None) -> float:
    """Praise or thanks in answer to a complaint (谢谢您的指导 to 你们能不能认真点)."""
    kind = max(praise(reply), _found(_THANKS, reply))
    return kind * buyer_complains(context, act)


def deference_for_complaint(reply: str, context: str | None, act: Act | None) -> float:
    """Grand address or mock concession in answer to a complaint."""
    return max(grand_address(reply), mock_concession(reply)) * buyer_complains(context, act)


def praise_for_thanks(reply: str, context: str | None, act: Act | None) -> float:
    """Praise in answer to thanks or praise: the sincere exchange."""
    return praise(reply) * buyer_thanks(context, act)


# The reply's shapes, then the shapes of the pair, by name: the second stage's features (the
# model file names them; a name it does not know is refused at load).
REPLY_SHAPES: dict[str, Callable[[str], float]] = {
    f.__name__: f for f in (praise, praise_with_bad_outcome, grand_address, rhetorical_question,
                            question_at_buyer, absurd_offer, mock_concession, putdown_advice,
                            irony_marker, offers_help, praise_without_help, quotes_buyer,
                            trailing_off, concrete_help)}
PAIR_SHAPES: dict[str, Callable[[str, str | None, Act | None], float]] = {
    f.__name__: f for f in (praise_for_complaint, deference_for_complaint, praise_for_thanks,
                            praise_for_complaint_without_help)}
CONTEXT_SHAPES: dict[str, Callable[[str | None, Act | None], float]] = {
    f.__name__: f for f in (buyer_complains, buyer_thanks, no_buyer_message)}


def shape_features(reply: str, context: str | None, act: Act | None) -> dict[str, float]:
    """Every shape of (reply, buyer message) by name: training and inference both read this."""
    features = {name: f(reply) for name, f in REPLY_SHAPES.items()}
    features.update((name, f(reply, context, act)) for name, f in PAIR_SHAPES.items())
    features.update((name, f(context, act)) for name, f in CONTEXT_SHAPES.items())
    return features
