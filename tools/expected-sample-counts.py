#!/usr/bin/env python3
# Run: python3 tools/expected-sample-counts.py [SAMPLES_DIR]  (default ../shared/samples beside the repo)
# Gives the counts Tests/POSImportTests/SampleFileTests.swift asserts, computed without the Swift code.
# Independent expected counts for the POSImport sample tests (Python csv + Decimal, no Swift code).
# The "recorded" part is what `clientele ingest` puts in the ledger (Tests/IngestTests/SampleIngestTests.swift):
# only receipts with a customer become events (anonymous sales are counted, not recorded).
import csv, sys, re
from decimal import Decimal
import os
S=(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'samples')) + '/'
def money(s):
    s=s.strip(); neg=False
    if s.startswith('(') and s.endswith(')'): neg=True; s=s[1:-1]
    s=s.replace('$','').strip()
    if s.startswith('-'): neg=True; s=s[1:]
    v=Decimal(s.replace(',',''))
    return -v if neg else v
def rows(f):
    return list(csv.DictReader(open(S+f,newline='',encoding='utf-8-sig')))
def groups(rs,key):
    out=[]
    for r in rs:
        if out and out[-1][0]==r[key] and r[key]!='': out[-1][1].append(r)
        else: out.append((r[key],[r]))
    return out
def report(name, receipts, lines, returns, customers, anon, totals, skipped=0, recorded=None):
    print(f"{name}: receipts={receipts} lines={lines} returns={returns} customers={customers} anonymous={anon} totals={ {k:int(v) for k,v in totals.items()} } skipped={skipped}")
    if recorded is not None:
        r, l, ret, t = recorded
        print(f"  recorded: receipts={r} lines={l} returns={ret} totals={ {k:int(v) for k,v in t.items()} }")
def recorded(groups, has_customer, is_return, total_of):
    """Receipts with a customer: (count, rows, returns, {currency: minor units})."""
    named=[(k,rs) for k,rs in groups if has_customer(rs)]
    tot={}
    for k,rs in named:
        cur,v=total_of(rs)
        tot[cur]=tot.get(cur,0)+v
    return (len(named), sum(len(rs) for _,rs in named), sum(1 for k,rs in named if is_return(k,rs)), tot)
for f in ['shopify_orders_export_2021_kidsliving_REDACTED.csv','shopify_orders_export_2026_zhangerson_REDACTED.csv','shopify_orders_export_2026_zhangerson_10_REDACTED.csv']:
    g=groups(rows(f),'Name'); rec=[x for x in g if x[1][0]['Financial Status']!='voided']
    cust=set()
    for _,rs in rec:
        r=rs[0]; k=r['Email'].lower() or r['Phone'] or r['Billing Phone']
        if k: cust.add(k)
    anon=sum(1 for _,rs in rec if not (rs[0]['Email'] or rs[0]['Phone'] or rs[0]['Billing Phone']))
    tot={}
    for _,rs in rec: tot[rs[0]['Currency']]=tot.get(rs[0]['Currency'],0)+money(rs[0]['Total'])*100
    named=recorded(rec, lambda rs: bool(rs[0]['Email'] or rs[0]['Phone'] or rs[0]['Billing Phone']), lambda k,rs: False,
                   lambda rs: (rs[0]['Currency'], money(rs[0]['Total'])*100))
    report(f,len(rec),sum(len(rs) for _,rs in rec),0,len(cust),anon,tot,len(g)-len(rec),named)
for f in ['square_items_detail_2026-05_sunrise_social_club_REDACTED.csv','square_items_detail_2026-07-18_sunrise_social_club_REDACTED.csv']:
    g=groups(rows(f),'Transaction ID')
    cust=set(rs[0]['Customer ID'] for _,rs in g if rs[0]['Customer ID'])
    tot=sum((money(r['Net Sales'])+money(r['Tax']))*100 for _,rs in g for r in rs)
    named=recorded(g, lambda rs: bool(rs[0]['Customer ID']), lambda k,rs: rs[0]['Event Type']=='Refund',
                   lambda rs: ('USD', sum((money(r['Net Sales'])+money(r['Tax']))*100 for r in rs)))
    report(f,len(g),sum(len(rs) for _,rs in g),sum(1 for _,rs in g if rs[0]['Event Type']=='Refund'),len(cust),sum(1 for _,rs in g if not rs[0]['Customer ID']),{'USD':tot},0,named)
f='square_transactions_2018_rwslippey_excel_resaved.csv'
rs=rows(f)
report(f,len(rs),0,sum(1 for r in rs if r['Event Type']=='Refund'),0,len(rs),{'USD':sum(money(r['Total Collected'])*100 for r in rs)},0,
       recorded([(r['Transaction ID'],[r]) for r in rs], lambda g: bool(g[0]['Customer ID']), lambda k,g: g[0]['Event Type']=='Refund',
                lambda g: ('USD', money(g[0]['Total Collected'])*100)))
for f,ik,pk,ck in [('uci_online_retail_II_head_xq2005.csv','Invoice','Price','Customer ID'),('uci_online_retail_I_head_dd-mm-yyyy_SumanKumarNayak.csv','InvoiceNo','UnitPrice','CustomerID')]:
    g=groups(rows(f),ik)
    cust=set(rs[0][ck] for _,rs in g if rs[0][ck])
    tot=sum(Decimal(r['Quantity'])*Decimal(r[pk])*100 for _,rs in g for r in rs)
    named=recorded(g, lambda rs: bool(rs[0][ck]), lambda k,rs: k.startswith('C'),
                   lambda rs: ('GBP', sum(Decimal(r['Quantity'])*Decimal(r[pk])*100 for r in rs)))
    report(f,len(g),sum(len(rs) for _,rs in g),sum(1 for k,_ in g if k.startswith('C')),len(cust),sum(1 for _,rs in g if not rs[0][ck]),{'GBP':tot},0,named)
