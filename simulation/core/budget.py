"""Public budgets: every city, every province and the central government, with a ledger of who pays.

Revenue. A city's general budget revenue is ``revenue_share`` of its GDP; ``province_share`` of it
goes to its province. The central government transfers ``transfer_share`` of the province's GDP to
the province. Permit auctions pay the issuing budget (a province, or the provinces by their cities'
emissions for a cluster market).

Spending. Public services cost ``service_cost`` per resident (growing with the city's general wage),
plus ``hukou_service_cost`` more for
each resident converted to a local hukou by a lever, shared between city and province as revenue is.
Levers spend through the ledger, never from nowhere: ``spend`` (a budget buys something: abatement,
a subsidy, a fund's purchases) and ``transfer`` (one budget pays another: eco-compensation,
contributions to a joint fund, the central top-up). Transfers net to zero over all budgets, central
included; a test checks it every year.

Feedback. A city's net lever outlay (what it spends and pays on levers less what it receives) is
financed in the next year by a levy on its firms' sales, an ad-valorem cost in production (and a
net receipt lowers it): a lever's money therefore costs output and profits where it is raised.
Provinces and the centre are assumed to finance theirs by borrowing (no feedback; reported). A
fund (``add_fund``) is an account of its own: paid into by budgets, spending on its purpose, and
carrying its balance from year to year.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

CITY, PROVINCE, CENTRAL, FUND = "city", "province", "central", "fund"


class Budgets:
    def __init__(self, cfg, n: int, prov: np.ndarray) -> None:
        self.cfg, self.n, self.prov = cfg, n, prov
        self.n_prov = int(prov.max()) + 1
        self.levy = np.zeros(n)  # levy rate on sales this year (share), financing last year's levers
        self.funds: list[str] = []  # joint funds set up by levers (their own accounts)
        self.fund_balance: list[float] = []  # carried from year to year, 100m yuan
        self.start_year()

    def add_fund(self, name: str) -> int:
        """Open a fund account (a joint ecological fund, a guidance fund); returns its index."""
        self.funds.append(name)
        self.fund_balance.append(0.0)
        return len(self.funds) - 1

    def _size(self, kind: str) -> int:
        return {CITY: self.n, PROVINCE: self.n_prov, CENTRAL: 1, FUND: max(len(self.funds), 1)}[kind]

    def start_year(self) -> None:
        self.ledger: list[tuple[str, str, int, str, int, float]] = []  # purpose, from, i, to, j, 100m yuan
        self.spent: dict[str, dict[str, np.ndarray]] = defaultdict(dict)  # purpose -> kind -> array
        self.hukou_holders = np.zeros(self.n)  # extra persons with local hukou from levers
        self.works: dict[str, np.ndarray] = {}  # baseline public works by purpose (not levers), cities

    # ------------------------------------------------------------------ levers use these
    def spend(self, kind: str, idx, amount, purpose: str) -> None:
        """Budget(s) ``kind``[idx] spend ``amount`` (100m yuan) on ``purpose``."""
        arr = self.spent[purpose].setdefault(kind, np.zeros(self._size(kind)))
        np.add.at(arr, np.atleast_1d(idx), np.broadcast_to(amount, np.shape(np.atleast_1d(idx))))

    def public_works(self, idx, amount, purpose: str) -> None:
        """Cities' spending on works the baseline itself requires (the plans' sewage works): part of
        ordinary public spending, not a lever outlay (no levy)."""
        arr = self.works.setdefault(purpose, np.zeros(self.n))
        np.add.at(arr, np.atleast_1d(idx), np.broadcast_to(amount, np.shape(np.atleast_1d(idx))))

    def transfer(self, purpose: str, src: str, i, dst: str, j, amount: float) -> None:
        """Budget ``src``[i] pays budget ``dst``[j] ``amount`` (100m yuan; negative: the other way)."""
        self.ledger.append((purpose, src, int(i), dst, int(j), float(amount)))

    # ------------------------------------------------------------------ the year's accounts
    def close(self, gdp, population, sales, wage_index) -> dict[str, np.ndarray]:
        """Close the year's accounts; set next year's city levies. Returns the city and province rows.

        ``wage_index``: the general wage relative to the base year (public services are paid staff)."""
        c = self.cfg
        rev = c.revenue_share * gdp
        city_rev, to_prov = rev * (1 - c.province_share), rev * c.province_share
        prov_rev = np.bincount(self.prov, weights=to_prov, minlength=self.n_prov)
        transfers_in = c.transfer_share * np.bincount(self.prov, weights=gdp, minlength=self.n_prov)
        per_person = c.service_cost * wage_index
        services = per_person * population / 1e8
        city_serv, prov_serv = services * (1 - c.province_share), services * c.province_share
        city_serv = city_serv + sum(self.works.values(), np.zeros(self.n))
        net = {
            k: np.zeros(self._size(k)) for k in (CITY, PROVINCE, CENTRAL, FUND)
        }  # lever receipts - outlays
        for _purpose, src, i, dst, j, amount in self.ledger:
            net[src][i] -= amount
            net[dst][j] += amount
        # transfers move money between budgets: summed over every budget they must cancel
        self.transfers_sum = float(sum(v.sum() for v in net.values()))
        # the extra public services of residents levers gave a local hukou are a lever outlay too
        extra = per_person * c.hukou_service_cost * self.hukou_holders / 1e8
        if extra.any():
            self.spend(CITY, np.arange(self.n), extra * (1 - c.province_share), "hukou_services")
            self.spend(PROVINCE, self.prov, extra * c.province_share, "hukou_services")
        for by_kind in self.spent.values():
            for kind, arr in by_kind.items():
                net[kind] -= arr
        self.net = net
        for i in range(len(self.funds)):  # a fund keeps what it has not spent
            self.fund_balance[i] += float(net[FUND][i])
        self.levy = np.clip(np.divide(-net[CITY], sales, out=np.zeros(self.n), where=sales > 0), -0.5, 0.5)
        prov_serv_sum = np.bincount(self.prov, weights=prov_serv, minlength=self.n_prov)
        return {
            "city_revenue": city_rev,
            "city_services": city_serv,
            "city_lever_net": net[CITY],
            "city_balance": city_rev - city_serv + net[CITY],
            "province_revenue": prov_rev + transfers_in,
            "province_transfers_in": transfers_in,
            "province_balance": prov_rev + transfers_in - prov_serv_sum + net[PROVINCE],
            "central_lever_net": net[CENTRAL],
        }

    def lever_spending(self) -> dict[str, float]:
        """Total outlay by purpose this year (100m yuan), spending plus transfers paid from outside
        the receiving side's own level (transfers between budgets count once, at the payer)."""
        out: dict[str, float] = defaultdict(float)
        for purpose, by_kind in self.spent.items():
            out[purpose] += float(sum(a.sum() for a in by_kind.values()))
        for purpose, *_rest, amount in self.ledger:
            out[purpose] += abs(amount)
        return dict(out)
