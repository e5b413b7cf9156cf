#!/usr/bin/env python3
# Run: python3 tools/expected-sample-counts.py [SAMPLES_DIR]  (default ../shared/samples beside the repo)
# Gives the counts Tests/POSImportTests/SampleFileTests.swift asserts, computed without the Swift code.
# Independent expected counts for the POSImport sample tests (Python csv + Decimal, no Swift code).
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
def report(name, receipts, lines, returns, customers, anon, totals, skipped=0):
    print(f"{name}: receipts={receipts} lines={lines} returns={returns} customers={customers} anonymous={anon} totals={ {k:int(v) for k,v in totals.items()} } skipped={skipped}")
for f in ['shopify_orders_export_2021_kidsliving_REDACTED.csv','shopify_orders_export_2026_zhangerson_REDACTED.csv','shopify_orders_export_2026_zhangerson_10_REDACTED.csv']:
    g=groups(rows(f),'Name'); rec=[x for x in g if x[1][0]['Financial Status']!='voided']
    cust=set()
    for _,rs in rec:
        r=rs[0]; k=r['Email'].lower() or r['Phone'] or r['Billing Phone']
        if k: cust.add(k)
    anon=sum(1 for _,rs in rec if not (rs[0]['Email'] or rs[0]['Phone'] or rs[0]['Billing Phone']))
    tot={}
    for _,rs in rec: tot[rs[0]['Currency']]=tot.get(rs[0]['Currency'],0)+money(rs[0]['Total'])*100
    report(f,len(rec),sum(len(rs) for _,rs in rec),0,len(cust),anon,tot,len(g)-len(rec))
for f in ['square_items_detail_2026-05_sunrise_social_club_REDACTED.csv','square_items_detail_2026-07-18_sunrise_social_club_REDACTED.csv']:
    g=groups(rows(f),'Transaction ID')
    cust=set(rs[0]['Customer ID'] for _,rs in g if rs[0]['Customer ID'])
    tot=sum((money(r['Net Sales'])+money(r['Tax']))*100 for _,rs in g for r in rs)
    report(f,len(g),sum(len(rs) for _,rs in g),sum(1 for _,rs in g if rs[0]['Event Type']=='Refund'),len(cust),sum(1 for _,rs in g if not rs[0]['Customer ID']),{'USD':tot})
f='square_transactions_2018_rwslippey_excel_resaved.csv'
rs=rows(f)
report(f,len(rs),0,sum(1 for r in rs if r['Event Type']=='Refund'),0,len(rs),{'USD':sum(money(r['Total Collected'])*100 for r in rs)})
for f,ik,pk,ck in [('uci_online_retail_II_head_xq2005.csv','Invoice','Price','Customer ID'),('uci_online_retail_I_head_dd-mm-yyyy_SumanKumarNayak.csv','InvoiceNo','UnitPrice','CustomerID')]:
    g=groups(rows(f),ik)
    cust=set(rs[0][ck] for _,rs in g if rs[0][ck])
    tot=sum(Decimal(r['Quantity'])*Decimal(r[pk])*100 for _,rs in g for r in rs)
    report(f,len(g),sum(len(rs) for _,rs in g),sum(1 for k,_ in g if k.startswith('C')),len(cust),sum(1 for _,rs in g if not rs[0][ck]),{'GBP':tot})
